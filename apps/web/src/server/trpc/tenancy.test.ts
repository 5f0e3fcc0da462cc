// Every tRPC procedure, found by walking the router (so one added later is covered too), is called by
// users of customer B with inputs naming customer A's objects. Nothing of A may come back and nothing
// of A may change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import type { Db } from "@mailwarden/db";
import { TRPCError } from "@trpc/server";
import { appRouter } from "./root";
import { callerFor, createTestRuntime, createUser } from "../testing";
import { mailLogExportResponse } from "../mail-log-export";
import { storeRecords } from "../test-support/mail-log-records";

let stop: () => Promise<void>;
let prisma: Db;
const a = {} as {
  tenantId: string;
  domainId: string;
  mailboxId: string;
  mailingListId: string;
  serverId: string;
  userId: string;
  sessionId: string;
  secrets: string[];
};
const b = {} as { tenantId: string; domainAdminId: string; customerAdminId: string; auditorId: string };

async function snapshotOfA() {
  return {
    tenant: await prisma.tenant.findUnique({ where: { id: a.tenantId } }),
    domains: await prisma.domain.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" } }),
    mailboxes: await prisma.mailbox.findMany({ where: { tenantId: a.tenantId }, orderBy: { id: "asc" } }),
    mailingLists: await prisma.mailingList.findMany({
      where: { tenantId: a.tenantId },
      orderBy: { id: "asc" },
    }),
    servers: await prisma.server.findMany({
      where: { tenantId: a.tenantId },
      select: { id: true, status: true, desiredRevision: true, name: true },
    }),
    memberships: await prisma.membership.findMany({
      where: { tenantId: a.tenantId },
      orderBy: { id: "asc" },
    }),
    policies: await prisma.policyRevision.count({
      where: { OR: [{ tenantId: a.tenantId }, { scope: "PROVIDER" }] },
    }),
    locks: await prisma.policyLock.findMany({ orderBy: { key: "asc" } }),
    tokens: await prisma.enrollmentToken.findMany({
      where: { serverId: a.serverId },
      orderBy: { id: "asc" },
    }),
    commands: await prisma.agentCommand.count({ where: { serverId: a.serverId } }),
    // The account of A's admin: lock, 2FA, password, sessions and reset links.
    users: await prisma.user.findMany({
      where: { memberships: { some: { tenantId: a.tenantId } } },
      select: {
        id: true,
        email: true,
        disabledAt: true,
        providerRole: true,
        password: { select: { hash: true } },
        totp: { select: { encryptedSecret: true, enabledAt: true } },
        sessions: { select: { id: true } },
        passwordResets: { select: { id: true } },
        memberships: { select: { tenantId: true, role: true } },
      },
      orderBy: { id: "asc" },
    }),
  };
}

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenantA = await prisma.tenant.create({ data: { name: "Acme Alpha", slug: "acme-alpha" } });
  const domainA = await prisma.domain.create({ data: { name: "alpha-secret.test", tenantId: tenantA.id } });
  const mailboxA = await prisma.mailbox.create({
    data: {
      tenantId: tenantA.id,
      domainId: domainA.id,
      localPart: "ceo-alpha",
      passwordHash: "$argon2id$hash-alpha",
    },
  });
  const listA = await prisma.mailingList.create({
    data: {
      tenantId: tenantA.id,
      domainId: domainA.id,
      localPart: "board-alpha",
      members: ["ceo-alpha@alpha-secret.test"],
      moderators: [],
    },
  });
  // Its posture reports a user of A suspended by abuse detection (row 21) and a member of A's list paused
  // after bounces (row 22): the overview's alerts of A only.
  const serverA = await prisma.server.create({
    data: {
      name: "mx-alpha-01",
      tenantId: tenantA.id,
      postureAt: new Date(),
      posture: {
        abuseBlocks: [
          {
            id: "00000000000000a1",
            kind: "user",
            subject: "ceo-alpha@alpha-secret.test",
            rule: "ids.internal-spammer",
            action: "suspend",
            reason: "50 messages within 10 min",
            since: new Date().toISOString(),
            until: null,
          },
        ],
        listBounces: [
          {
            list: "board-alpha@alpha-secret.test",
            member: "ceo-alpha@alpha-secret.test",
            bounceDays: 3,
            lastBounceAt: new Date().toISOString(),
            lastStatus: "5.1.1",
            lastDiagnostic: "550 5.1.1 no such user",
            lastSource: "delivery",
            pausedAt: new Date().toISOString(),
          },
        ],
      },
    },
  });
  await prisma.enrollmentToken.create({
    data: { serverId: serverA.id, tokenHash: "alpha-token-hash", expiresAt: new Date(Date.now() + 3600_000) },
  });
  await prisma.policyRevision.create({
    data: {
      scope: "DOMAIN",
      tenantId: tenantA.id,
      domainId: domainA.id,
      revision: 1,
      settings: { requireSmtpAuth: false },
    },
  });
  const userA = await createUser(prisma, {
    email: "admin@alpha-secret.test",
    membership: { tenantId: tenantA.id, role: "CUSTOMER_ADMIN" },
  });
  await prisma.totpSecret.create({
    data: { userId: userA.id, encryptedSecret: "sealed-alpha", enabledAt: new Date() },
  });
  const sessionA = await prisma.userSession.create({
    data: { userId: userA.id, userAgent: "Firefox alpha", expiresAt: new Date(Date.now() + 3600_000) },
  });
  await prisma.auditEvent.create({
    data: {
      type: "DOMAIN_CREATED",
      actorType: "USER",
      actorLabel: "admin@alpha-secret.test",
      tenantId: tenantA.id,
      summary: "Domain alpha-secret.test added",
    },
  });
  // A's mail log: a session on A's server (server-level records) that hands over a message for A's domain.
  const now = Date.now();
  const session = { session: "alpha-session", listener: "inbound", client: "198.51.100.77" };
  await storeRecords(prisma, [
    {
      serverId: serverA.id,
      tenantId: tenantA.id,
      record: { seq: 1, at: new Date(now - 2000).toISOString(), type: "connection.opened", ...session },
    },
    {
      serverId: serverA.id,
      tenantId: tenantA.id,
      domainId: domainA.id,
      record: {
        seq: 2,
        at: new Date(now - 1000).toISOString(),
        type: "message.accepted",
        ...session,
        direction: "inbound",
        queueId: "ALPHAQUEUE1",
        messageId: "<alpha-msg@alpha-secret.test>",
        from: "partner@elsewhere.test",
        to: ["ceo-alpha@alpha-secret.test"],
        size: 100,
        spf: "pass",
        dkim: "pass",
        dmarc: "pass",
        arc: "none",
        folder: "inbox",
      },
    },
    {
      serverId: serverA.id,
      tenantId: tenantA.id,
      record: {
        seq: 3,
        at: new Date(now).toISOString(),
        type: "gap",
        fromSeq: 4,
        toSeq: 9,
        reason: "spool-full",
      },
    },
  ]);
  Object.assign(a, {
    tenantId: tenantA.id,
    domainId: domainA.id,
    mailboxId: mailboxA.id,
    mailingListId: listA.id,
    serverId: serverA.id,
    userId: userA.id,
    sessionId: sessionA.id,
    secrets: [
      sessionA.id,
      tenantA.id,
      "Acme Alpha",
      domainA.id,
      "alpha-secret",
      mailboxA.id,
      "ceo-alpha",
      listA.id,
      "board-alpha",
      serverA.id,
      "mx-alpha-01",
      userA.id,
      "hash-alpha",
      "ALPHAQUEUE1",
      "alpha-msg",
      "198.51.100.77",
      "alpha-session",
    ],
  });

  const tenantB = await prisma.tenant.create({ data: { name: "Beta Corp", slug: "beta-corp" } });
  const domainB = await prisma.domain.create({ data: { name: "beta.test", tenantId: tenantB.id } });
  b.tenantId = tenantB.id;
  b.domainAdminId = (
    await createUser(prisma, {
      email: "da@beta.test",
      membership: { tenantId: tenantB.id, role: "DOMAIN_ADMIN", domainIds: [domainB.id] },
    })
  ).id;
  b.customerAdminId = (
    await createUser(prisma, {
      email: "ca@beta.test",
      membership: { tenantId: tenantB.id, role: "CUSTOMER_ADMIN" },
    })
  ).id;
  b.auditorId = (
    await createUser(prisma, { email: "au@beta.test", membership: { tenantId: tenantB.id, role: "AUDITOR" } })
  ).id;
});

afterAll(async () => stop?.());

/** An input for any zod schema: ids point at customer A, other fields get plausible values. */
function sampleInput(schema: z.ZodType, key?: string): unknown {
  const probes: Record<string, unknown> = {
    customerId: a.tenantId,
    tenantId: a.tenantId,
    domainId: a.domainId,
    mailboxId: a.mailboxId,
    mailingListId: a.mailingListId,
    serverId: a.serverId,
    userId: a.userId,
    sessionId: a.sessionId,
    email: "probe@beta.test",
    password: "Probe-Password-123!x",
    name: "alpha-secret.test",
    localPart: "probe",
    code: "123456",
    token: "not-a-real-token-but-long-enough",
    key: "requireSmtpAuth",
    blockId: "00000000000000a1",
    messageId: "<alpha-msg@alpha-secret.test>",
    queueId: "ALPHAQUEUE1",
  };
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(shape)) {
        const value = k in probes ? probes[k] : isOptional(v) ? undefined : sampleInput(v, k);
        if (value !== undefined) out[k] = value;
      }
      return out;
    }
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return sampleInput(def.innerType as z.ZodType, key);
    case "pipe":
      return sampleInput(def.in as z.ZodType, key);
    case "string":
      return key && key in probes ? probes[key] : "probe";
    case "number":
      return 12;
    case "boolean":
      return true;
    case "enum":
      return Object.values(def.entries as Record<string, string>)[0];
    case "literal":
      return (def.values as unknown[])[0];
    case "array":
      return [];
    case "date":
      return new Date();
    default:
      return undefined;
  }
}

function isOptional(schema: z.ZodType): boolean {
  const type = (schema as unknown as { _zod: { def: { type: string } } })._zod.def.type;
  return type === "optional" || type === "default" || type === "prefault";
}

interface ProcedureInfo {
  path: string;
  type: "query" | "mutation" | "subscription";
  input: unknown;
}

type ProcedureDef = { _def: { procedure?: boolean; type: ProcedureInfo["type"]; inputs: z.ZodType[] } };

/** Flattens the router into "a.b" paths, whatever nesting a future router adds. */
function flatten(record: Record<string, unknown>, prefix = ""): [string, ProcedureDef][] {
  return Object.entries(record).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const def = (value as { _def?: { procedure?: boolean; record?: Record<string, unknown> } })?._def;
    if (def?.procedure) return [[path, value as ProcedureDef]] as [string, ProcedureDef][];
    if (def?.record) return flatten(def.record, path);
    return value && typeof value === "object" ? flatten(value as Record<string, unknown>, path) : [];
  });
}

function allProcedures(): ProcedureInfo[] {
  return flatten(appRouter._def.record as unknown as Record<string, unknown>).map(([path, proc]) => ({
    path,
    type: proc._def.type,
    input: proc._def.inputs[0] ? sampleInput(proc._def.inputs[0]) : undefined,
  }));
}

async function call(
  userId: string,
  path: string,
  input: unknown,
): Promise<{ ok: true; data: unknown } | { ok: false; code: string }> {
  let target: unknown = callerFor(prisma, userId);
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  try {
    return { ok: true, data: await (target as (i: unknown) => Promise<unknown>)(input) };
  } catch (error) {
    if (error instanceof TRPCError) return { ok: false, code: error.code };
    throw error;
  }
}

describe("tenant isolation across every procedure", () => {
  it("finds the procedures to check", () => {
    const paths = allProcedures().map((p) => p.path);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths).toContain("domain.get");
    expect(paths).toContain("server.revoke");
    expect(paths).toContain("domain.updateMailingList");
    expect(paths).toContain("domain.resumeListMember");
    expect(paths).toContain("server.liftAbuseBlock");
    expect(paths).toContain("domain.setMailboxSendingLimits");
    expect(paths).toContain("people.setUserLocked");
    expect(paths).toContain("people.issuePasswordReset");
    expect(paths).toContain("auth.endSessions");
    expect(paths).toContain("mailLog.search");
    expect(paths).toContain("mailLog.trace");
    expect(paths).toContain("mailLog.serverGaps");
    expect(paths).toContain("people.updateLogRetention");
  });

  for (const role of ["domainAdminId", "customerAdminId", "auditorId"] as const) {
    it(`a ${role.replace("Id", "")} of customer B gets nothing of customer A and changes nothing`, async () => {
      const before = await snapshotOfA();
      const leaks: string[] = [];
      for (const proc of allProcedures()) {
        const result = await call(b[role], proc.path, proc.input);
        if (!result.ok) {
          expect(result.code, `${proc.path} failed unexpectedly`).not.toBe("INTERNAL_SERVER_ERROR");
          continue;
        }
        const json = JSON.stringify(result.data ?? null);
        for (const secret of a.secrets)
          if (json.includes(secret)) leaks.push(`${proc.path} returned ${secret}`);
      }
      expect(leaks).toEqual([]);
      expect(await snapshotOfA()).toEqual(before);
    });
  }

  it("customer users never reach the provider's staff or console settings", async () => {
    for (const role of ["customerAdminId", "auditorId"] as const) {
      expect(await call(b[role], "people.staff", undefined)).toEqual({ ok: false, code: "FORBIDDEN" });
      expect(await call(b[role], "people.updateConsoleSettings", { idleTimeoutMinutes: 5 })).toEqual({
        ok: false,
        code: "FORBIDDEN",
      });
      expect(await call(b[role], "people.updateLogRetention", { logRetentionDays: 1 })).toEqual({
        ok: false,
        code: "FORBIDDEN",
      });
    }
  });

  it("adding A's admin as a user of B answers as for any new address and leaves A's account alone", async () => {
    const before = await snapshotOfA();
    const input = (email: string) => ({
      customerId: b.tenantId,
      email,
      name: "Probe",
      role: "AUDITOR",
      domainIds: [],
      password: "Probe-Password-123!x",
    });
    const existing = await call(b.customerAdminId, "customer.addUser", input("admin@alpha-secret.test"));
    const fresh = await call(b.customerAdminId, "customer.addUser", input("someone-new@beta.test"));
    expect(existing.ok && fresh.ok).toBe(true);
    expect(Object.keys((existing as { data: object }).data)).toEqual(
      Object.keys((fresh as { data: object }).data),
    );
    const after = await snapshotOfA();
    // A's admin now also belongs to B; nothing else of theirs changed.
    expect(after.users[0]!.memberships).toHaveLength(2);
    expect({ ...after, users: after.users.map((u) => ({ ...u, memberships: [] })) }).toEqual({
      ...before,
      users: before.users.map((u) => ({ ...u, memberships: [] })),
    });
    // B's admin still cannot act on that account: it belongs to A too.
    expect(await call(b.customerAdminId, "people.setUserLocked", { userId: a.userId, locked: true })).toEqual(
      {
        ok: false,
        code: "NOT_FOUND",
      },
    );
  });

  // The export is a route handler, not a procedure: the same probes through it, with the same scope.
  for (const role of ["domainAdminId", "customerAdminId", "auditorId"] as const) {
    it(`the mail-log export gives a ${role.replace("Id", "")} of customer B nothing of customer A`, async () => {
      for (const query of [
        "format=ndjson",
        `format=csv&serverId=${a.serverId}`,
        `format=ndjson&domainId=${a.domainId}`,
        "format=csv&recipient=ceo-alpha@alpha-secret.test",
        "format=ndjson&message=alpha-msg@alpha-secret.test",
        "format=ndjson&clientIp=198.51.100.77",
      ]) {
        const response = await mailLogExportResponse(prisma, b[role], new URLSearchParams(query));
        const text = await response.text();
        expect(response.status, query).toBe(200);
        for (const secret of a.secrets) expect(text, query).not.toContain(secret);
      }
    });
  }

  it("a user of customer B asking for A's domain gets NOT_FOUND, not FORBIDDEN", async () => {
    const result = await call(b.customerAdminId, "domain.get", { domainId: a.domainId });
    expect(result).toEqual({ ok: false, code: "NOT_FOUND" });
  });

  it("the provider admin does see customer A (the probe inputs really reach A)", async () => {
    const provider = await createUser(prisma, {
      email: "root@provider.test",
      providerRole: "PROVIDER_ADMIN",
    });
    await prisma.totpSecret.create({
      data: { userId: provider.id, encryptedSecret: "x", enabledAt: new Date() },
    });
    const result = await call(provider.id, "domain.get", { domainId: a.domainId });
    expect(result.ok && JSON.stringify(result.data)).toContain("alpha-secret.test");
    // The mail-log probes reach A's records too.
    const logs = await call(provider.id, "mailLog.search", { serverId: a.serverId, limit: 50 });
    expect(logs.ok && JSON.stringify(logs.data)).toContain("alpha-msg");
    const trace = await call(provider.id, "mailLog.trace", { messageId: "<alpha-msg@alpha-secret.test>" });
    expect(trace.ok && JSON.stringify(trace.data)).toContain("alpha-session");
    const gaps = await call(provider.id, "mailLog.serverGaps", { serverId: a.serverId });
    expect(gaps.ok && (gaps.data as unknown[]).length).toBe(1);
    const exported = await mailLogExportResponse(prisma, provider.id, new URLSearchParams("format=csv"));
    expect(await exported.text()).toContain("ALPHAQUEUE1");
  });
});
