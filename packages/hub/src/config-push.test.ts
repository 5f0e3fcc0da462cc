// Config down, acks up: what buildAgentConfig computes from the policy layers, when the hub pushes it,
// how acks, rejections and posture land in the database, and revocation closing the socket.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AuditEventType,
  PolicyScope,
  ServerStatus,
  loadPolicyLayers,
  markConfigChanged,
  savePolicyOverrides,
} from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import { defaultPolicy, resolvePolicy, type PolicyOverrides } from "@mailwarden/policy";
import { CloseCode } from "@mailwarden/protocol";
import { buildAgentConfig, buildAgentConfigs } from "./agent-config";
import {
  FakeAgent,
  auditsOf,
  createEnrolledServer,
  createTenant,
  eventually,
  startHub,
  testPosture,
  type EnrolledServer,
  type RunningHub,
} from "./test-support";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let running: RunningHub;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});
beforeEach(async () => {
  running = await startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
});
afterEach(async () => {
  await running.stop();
});

async function setPolicy(
  scope: PolicyScope,
  target: { tenantId?: string; domainId?: string; serverId?: string },
  settings: PolicyOverrides,
) {
  await db.prisma.$transaction((tx) => savePolicyOverrides(tx, { scope, ...target, settings }));
}

const serverRow = (id: string) => db.prisma.server.findUniqueOrThrow({ where: { id } });

async function tenantWithDomains(): Promise<EnrolledServer & { domainIds: string[] }> {
  const { tenantId } = await createTenant(db.prisma);
  const server = await createEnrolledServer(db.prisma, tenantId);
  const suffix = tenantId.slice(-8);
  const b = await db.prisma.domain.create({ data: { tenantId, name: `b-${suffix}.test` } });
  const a = await db.prisma.domain.create({ data: { tenantId, name: `a-${suffix}.test` } });
  await db.prisma.mailbox.create({
    data: {
      tenantId,
      domainId: a.id,
      localPart: "info",
      passwordHash: "$argon2id$v=19$m=65536,t=3,p=4$aW5mbw$aGFzaA",
    },
  });
  await db.prisma.mailbox.create({
    data: {
      tenantId,
      domainId: a.id,
      localPart: "billing",
      passwordHash: "$argon2id$v=19$m=65536,t=3,p=4$YmlsbA$aGFzaA",
    },
  });
  return { ...server, domainIds: [a.id, b.id] };
}

describe("buildAgentConfig", () => {
  it("resolves the server's policy and each domain's, with the domains' mailboxes", async () => {
    const server = await tenantWithDomains();
    const [domainA] = server.domainIds;
    await setPolicy(PolicyScope.CUSTOMER, { tenantId: server.tenantId }, { requireSmtpAuth: false });
    await setPolicy(
      PolicyScope.DOMAIN,
      { tenantId: server.tenantId, domainId: domainA },
      { passwordPolicy: { ...defaultPolicy.passwordPolicy, minLength: 20 } },
    );
    await setPolicy(
      PolicyScope.SERVER,
      { tenantId: server.tenantId, serverId: server.serverId },
      { tlsMinVersion: "TLSv1.3" },
    );
    // Another tenant's domains and overrides must not leak in.
    const other = await tenantWithDomains();
    await setPolicy(PolicyScope.CUSTOMER, { tenantId: other.tenantId }, { requireSmtpAuth: true });

    const { revision, config } = await buildAgentConfig(db.prisma, server.serverId);
    // Three saves touched this server (customer, domain, server level): each bumped its revision.
    expect(revision).toBe(4);
    expect(config.server).toEqual({ ...defaultPolicy, tlsMinVersion: "TLSv1.3", requireSmtpAuth: false });
    expect(config.domains.map((d) => d.name)).toEqual([
      `a-${server.tenantId.slice(-8)}.test`,
      `b-${server.tenantId.slice(-8)}.test`,
    ]);
    const [a, b] = config.domains;
    expect(a?.policy).toEqual({
      ...defaultPolicy,
      requireSmtpAuth: false,
      passwordPolicy: { ...defaultPolicy.passwordPolicy, minLength: 20 },
    });
    expect(a?.mailboxes.map((m) => m.localPart)).toEqual(["billing", "info"]);
    expect(a?.mailboxes[0]?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(b?.policy).toEqual({ ...defaultPolicy, requireSmtpAuth: false });
    expect(b?.mailboxes).toEqual([]);
  });
});

describe("buildAgentConfigs: many servers at once", () => {
  it("gives each server what loadPolicyLayers resolves for it, sharing one config where nothing differs", async () => {
    const first = await tenantWithDomains();
    const twin = await createEnrolledServer(db.prisma, first.tenantId);
    const own = await createEnrolledServer(db.prisma, first.tenantId);
    const other = await tenantWithDomains();
    await setPolicy(PolicyScope.CUSTOMER, { tenantId: first.tenantId }, { requireSmtpAuth: false });
    await setPolicy(
      PolicyScope.CUSTOMER,
      { tenantId: first.tenantId },
      { requireSmtpAuth: false, requireAuthMatch: "address" },
    ); // newest wins
    await setPolicy(
      PolicyScope.DOMAIN,
      { tenantId: first.tenantId, domainId: first.domainIds[1] },
      { passwordPolicy: { ...defaultPolicy.passwordPolicy, minLength: 16 } },
    );
    await setPolicy(
      PolicyScope.SERVER,
      { tenantId: first.tenantId, serverId: own.serverId },
      { tlsMinVersion: "TLSv1.3" },
    );
    const revoked = await createEnrolledServer(db.prisma, other.tenantId);
    await db.prisma.server.update({
      where: { id: revoked.serverId },
      data: { status: ServerStatus.REVOKED },
    });

    const ids = [
      first.serverId,
      twin.serverId,
      own.serverId,
      other.serverId,
      revoked.serverId,
      "no-such-server",
    ];
    const built = await buildAgentConfigs(db.prisma, ids);
    expect(built.get(revoked.serverId)).toMatchObject({ standing: "revoked" });
    expect(built.get("no-such-server")).toEqual({ status: "gone" });
    for (const server of [first, twin, own, other]) {
      const result = built.get(server.serverId);
      if (!result || "status" in result) throw new Error(`no config for ${server.serverId}`);
      expect(result.standing).toBe("enrolled");
      const row = await serverRow(server.serverId);
      expect(result.revision).toBe(row.desiredRevision);
      expect(result.config.server).toEqual(
        resolvePolicy(await loadPolicyLayers(db.prisma, { tenantId: row.tenantId, serverId: row.id })),
      );
      const domains = await db.prisma.domain.findMany({
        where: { tenantId: row.tenantId },
        orderBy: { name: "asc" },
      });
      expect(result.config.domains.map((d) => d.name)).toEqual(domains.map((d) => d.name));
      for (const [index, domain] of domains.entries()) {
        expect(result.config.domains[index]?.policy).toEqual(
          resolvePolicy(await loadPolicyLayers(db.prisma, { tenantId: row.tenantId, domainId: domain.id })),
        );
      }
    }
    const configOf = (id: string) => (built.get(id) as { config: unknown }).config;
    expect(configOf(twin.serverId)).toBe(configOf(first.serverId));
    expect(configOf(own.serverId)).not.toBe(configOf(first.serverId));
    expect((configOf(own.serverId) as { server: { tlsMinVersion: string } }).server.tlsMinVersion).toBe(
      "TLSv1.3",
    );
  });
});

describe("buildAgentConfig: listeners", () => {
  it("sends the server's listeners (all five by default) and pushes a change to the agent", async () => {
    const server = await tenantWithDomains();
    expect((await buildAgentConfig(db.prisma, server.serverId)).config.listeners).toEqual([
      "inbound",
      "submission",
      "submissionTls",
      "pop3",
      "pop3s",
    ]);
    const agent = await FakeAgent.session(running.url, server, { appliedRevision: 1 });
    await db.prisma.$transaction(async (tx) => {
      await tx.server.update({
        where: { id: server.serverId },
        data: { listeners: ["POP3S", "INBOUND", "SUBMISSION_TLS"] },
      });
      await markConfigChanged(tx, { serverId: server.serverId });
    });
    const apply = await agent.next("hub.config.apply");
    expect(apply.revision).toBe(2);
    // In the protocol's order, whatever order the database holds them in.
    expect(apply.config.listeners).toEqual(["inbound", "submissionTls", "pop3s"]);
    await agent.close();

    await db.prisma.server.update({ where: { id: server.serverId }, data: { listeners: [] } });
    expect((await buildAgentConfig(db.prisma, server.serverId)).config.listeners).toEqual([]);
  });
});

describe("buildAgentConfig: per-mailbox sending limits (row 20)", () => {
  it("sends each mailbox's own limits, null where it follows the domain", async () => {
    const server = await tenantWithDomains();
    await db.prisma.mailbox.updateMany({
      where: { domainId: server.domainIds[0], localPart: "billing" },
      data: { throttleMessagesPerHour: 5 },
    });
    const { config } = await buildAgentConfig(db.prisma, server.serverId);
    expect(config.domains[0]?.mailboxes.map((m) => [m.localPart, m.sendingLimits])).toEqual([
      ["billing", { messagesPerHour: 5, messagesPerDay: null }],
      ["info", { messagesPerHour: null, messagesPerDay: null }],
    ]);
  });
});

describe("buildAgentConfig: mailing lists (row 22)", () => {
  it("sends each domain's lists with their members, moderators and posting (null = the domain's)", async () => {
    const server = await tenantWithDomains();
    const [domainA] = server.domainIds;
    await db.prisma.mailingList.create({
      data: {
        tenantId: server.tenantId,
        domainId: domainA!,
        localPart: "team",
        name: "Team",
        members: ["info@a.test", "friend@remote.test"],
        moderators: ["info@a.test"],
      },
    });
    await db.prisma.mailingList.create({
      data: {
        tenantId: server.tenantId,
        domainId: domainA!,
        localPart: "announce",
        posting: "MODERATORS",
        members: ["info@a.test"],
        moderators: ["boss@a.test"],
      },
    });
    const { config } = await buildAgentConfig(db.prisma, server.serverId);
    expect(config.domains[0]?.mailingLists).toEqual([
      {
        localPart: "announce",
        name: "",
        posting: "moderators",
        members: ["info@a.test"],
        moderators: ["boss@a.test"],
        resumes: [],
      },
      {
        localPart: "team",
        name: "Team",
        posting: null,
        members: ["info@a.test", "friend@remote.test"],
        moderators: ["info@a.test"],
        resumes: [],
      },
    ]);
    expect(config.domains[1]?.mailingLists).toEqual([]);
  });

  it("sends the members an admin resumed after a bounce pause, only while they are still members", async () => {
    const server = await tenantWithDomains();
    const resumedAt = "2026-11-20T08:00:00.000Z";
    await db.prisma.mailingList.create({
      data: {
        tenantId: server.tenantId,
        domainId: server.domainIds[0]!,
        localPart: "team",
        members: ["info@a.test", "friend@remote.test"],
        moderators: [],
        bounceResumes: [
          { address: "friend@remote.test", at: resumedAt },
          { address: "former@remote.test", at: resumedAt },
        ],
      },
    });
    const { config } = await buildAgentConfig(db.prisma, server.serverId);
    expect(config.domains[0]?.mailingLists[0]?.resumes).toEqual([
      { address: "friend@remote.test", at: resumedAt },
    ]);
  });
});

describe("config push", () => {
  it("pushes the config after welcome when the agent is behind, and not when it is current", async () => {
    const server = await tenantWithDomains();
    const behind = await FakeAgent.session(running.url, server, { appliedRevision: null });
    const apply = await behind.next("hub.config.apply");
    expect(apply.revision).toBe(1);
    expect(apply.config.domains).toHaveLength(2);
    await behind.close();

    const current = await FakeAgent.session(running.url, server, { appliedRevision: 1 });
    current.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    await current.next("hub.heartbeat.ack");
    expect(current.sent("hub.config.apply")).toEqual([]);
    await current.close();
  });

  it("delivers a change made with markConfigChanged and records the agent's ack", async () => {
    const server = await tenantWithDomains();
    const agent = await FakeAgent.session(running.url, server, { appliedRevision: 1 });

    await db.prisma.$transaction(async (tx) => {
      await tx.domain.create({
        data: { tenantId: server.tenantId, name: `c-${server.tenantId.slice(-8)}.test` },
      });
      await markConfigChanged(tx, { tenantId: server.tenantId });
    });
    const apply = await agent.next("hub.config.apply");
    expect(apply.revision).toBe(2);
    expect(apply.config.domains.map((d) => d.name)).toContain(`c-${server.tenantId.slice(-8)}.test`);

    agent.send({ type: "agent.config.applied", revision: 2 });
    await eventually(async () => (await serverRow(server.serverId)).appliedRevision === 2);
    expect(await auditsOf(db.prisma, AuditEventType.POLICY_APPLIED, server.serverId)).toHaveLength(1);

    // A late ack of an older revision, or one from the future, changes nothing.
    agent.send({ type: "agent.config.applied", revision: 1 });
    agent.send({ type: "agent.config.applied", revision: 99 });
    agent.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    await agent.next("hub.heartbeat.ack");
    expect((await serverRow(server.serverId)).appliedRevision).toBe(2);
    expect(await auditsOf(db.prisma, AuditEventType.POLICY_APPLIED, server.serverId)).toHaveLength(1);
    await agent.close();
  });

  it("records a rejection and a posture report", async () => {
    const server = await tenantWithDomains();
    const agent = await FakeAgent.session(running.url, server, { appliedRevision: null });
    const apply = await agent.next("hub.config.apply");
    agent.send({
      type: "agent.config.rejected",
      revision: apply.revision,
      errors: ["tls: certificate missing"],
    });
    const posture = testPosture;
    agent.send({ type: "agent.posture", posture });

    const row = await eventually(async () => {
      const r = await serverRow(server.serverId);
      return r.postureAt && r.lastRejectedRevision !== null && r;
    });
    expect(row.lastRejectedRevision).toBe(apply.revision);
    expect(row.lastRejectReason).toBe("tls: certificate missing");
    expect(row.posture).toEqual(posture);
    const audits = await auditsOf(db.prisma, AuditEventType.POLICY_REJECTED, server.serverId);
    expect(audits[0]?.summary).toContain("tls: certificate missing");
    await agent.close();
  });

  it("closes a revoked agent's socket with 4003 when the dashboard signals the change", async () => {
    const server = await tenantWithDomains();
    const agent = await FakeAgent.session(running.url, server, { appliedRevision: 1 });
    await db.prisma.$transaction(async (tx) => {
      // markConfigChanged skips servers already REVOKED, so it is called before the status flips; the
      // notification goes out at commit, when the hub can read REVOKED.
      await markConfigChanged(tx, { serverId: server.serverId });
      await tx.server.update({
        where: { id: server.serverId },
        data: { status: ServerStatus.REVOKED, revokedAt: new Date() },
      });
      await tx.agentCredential.update({
        where: { serverId: server.serverId },
        data: { revokedAt: new Date() },
      });
    });
    expect(await agent.closed).toEqual({ code: CloseCode.revoked, reason: "agent revoked" });
    expect(agent.sent("hub.config.apply")).toEqual([]);
    await eventually(
      async () =>
        (await auditsOf(db.prisma, AuditEventType.AGENT_DISCONNECTED, server.serverId)).length === 1,
    );
    expect((await serverRow(server.serverId)).status).toBe(ServerStatus.REVOKED);
    expect(running.hub.connectedAgentIds()).not.toContain(server.serverId);

    // And it cannot come back.
    const again = await FakeAgent.connect(running.url);
    again.hello(server);
    expect((await again.closed).code).toBe(CloseCode.revoked);
  });

  it("notices a revocation whose notification never came at the next lastSeenAt write", async () => {
    const server = await tenantWithDomains();
    const agent = await FakeAgent.session(running.url, server, { appliedRevision: 1 });
    // In this order markConfigChanged notifies nobody (the server is already REVOKED).
    await db.prisma.$transaction(async (tx) => {
      await tx.server.update({ where: { id: server.serverId }, data: { status: ServerStatus.REVOKED } });
      await markConfigChanged(tx, { serverId: server.serverId });
    });
    const closed = await agent.closed;
    expect(closed).toEqual({ code: CloseCode.revoked, reason: "agent revoked" });
  });
});
