// Provider defaults and propagation as an admin sees them: loosening needs confirmation, a preview
// lists exactly the domains that change, applying it makes every domain inherit, and each step is one
// audit event. Affected servers get a new desired revision (what the hub pushes).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { callerFor, createTestRuntime, createUser } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
let admin: ReturnType<typeof callerFor>;
const ids = {} as { tenant: string; open: string; strict: string; inheriting: string; server: string };

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  admin = callerFor(prisma, user.id);
  const tenant = await admin.customer.create({ name: "Policy Co", require2fa: false });
  ids.tenant = tenant.id;
  ids.open = (await admin.domain.create({ name: "open.test", customerId: tenant.id })).id;
  ids.strict = (await admin.domain.create({ name: "strict.test", customerId: tenant.id })).id;
  ids.inheriting = (await admin.domain.create({ name: "inherit.test", customerId: tenant.id })).id;
  ids.server = (await admin.server.create({ name: "mx-policy", customerId: tenant.id })).id;
});
afterAll(async () => stop?.());

describe("domain policy", () => {
  it("refuses to loosen without confirmation and says what it exposes", async () => {
    await expect(
      admin.policy.updateDomain({
        domainId: ids.open,
        patch: { requireSmtpAuth: false },
        confirmLoosening: false,
      }),
    ).rejects.toThrow(/Confirm loosening: Require SMTP authentication — Anyone could send mail/);
  });

  it("loosens with confirmation, shows where the value comes from, and bumps the tenant's servers", async () => {
    const before = await prisma.server.findUniqueOrThrow({ where: { id: ids.server } });
    await admin.policy.updateDomain({
      domainId: ids.open,
      patch: { requireSmtpAuth: false },
      confirmLoosening: true,
    });
    await admin.policy.updateDomain({
      domainId: ids.strict,
      patch: { requireSmtpAuth: true },
      confirmLoosening: false,
    });
    const open = await admin.policy.domain({ domainId: ids.open });
    expect(open.settings.find((s) => s.key === "requireSmtpAuth")).toMatchObject({
      value: false,
      setHere: true,
      source: "domain",
    });
    const inheriting = await admin.policy.domain({ domainId: ids.inheriting });
    expect(inheriting.settings.find((s) => s.key === "requireSmtpAuth")).toMatchObject({
      value: true,
      setHere: false,
      source: "default",
    });
    const after = await prisma.server.findUniqueOrThrow({ where: { id: ids.server } });
    expect(after.desiredRevision).toBe(before.desiredRevision + 2);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "POLICY_CHANGED", targetId: ids.open },
    });
    expect(audit.summary).toBe("Policy of open.test changed — Require SMTP authentication: true → false");
    expect(audit.actorLabel).toBe("ops@provider.test");
  });

  it("inherit (null) clears the domain's own value", async () => {
    await admin.policy.updateDomain({
      domainId: ids.strict,
      patch: { requireSmtpAuth: null },
      confirmLoosening: false,
    });
    const strict = await admin.policy.domain({ domainId: ids.strict });
    expect(strict.settings.find((s) => s.key === "requireSmtpAuth")).toMatchObject({
      value: true,
      setHere: false,
    });
  });
});

describe("provider defaults and propagation", () => {
  it("changes a provider default and records before/after", async () => {
    await admin.policy.updateProvider({ patch: { tlsMinVersion: "TLSv1.3" }, confirmLoosening: false });
    const provider = await admin.policy.provider();
    expect(provider.settings.find((s) => s.key === "tlsMinVersion")).toMatchObject({
      value: "TLSv1.3",
      source: "provider",
    });
    await expect(
      admin.policy.updateProvider({ patch: { tlsMinVersion: "TLSv1.2" }, confirmLoosening: false }),
    ).rejects.toThrow(/Confirm loosening/);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "POLICY_CHANGED", targetId: "provider" },
    });
    expect(audit.after).toMatchObject({ tlsMinVersion: "TLSv1.3" });
  });

  it("previews exactly the domains whose effective value changes, then applies it", async () => {
    const preview = await admin.policy.previewPropagation({ key: "requireSmtpAuth" });
    expect(preview.totalDomains).toBe(3);
    expect(preview.changes).toEqual([
      expect.objectContaining({ domain: "open.test", customer: "Policy Co", from: false, to: true }),
    ]);
    const result = await admin.policy.propagate({ key: "requireSmtpAuth" });
    expect(result.changed).toBe(1);
    const open = await admin.policy.domain({ domainId: ids.open });
    expect(open.settings.find((s) => s.key === "requireSmtpAuth")).toMatchObject({
      value: true,
      setHere: false,
    });
    expect((await admin.policy.previewPropagation({ key: "requireSmtpAuth" })).changes).toEqual([]);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { type: "POLICY_PROPAGATED" } });
    expect(audit.summary).toBe("Require SMTP authentication propagated to all domains: 1 of 3 changed");
  });

  it("refuses settings a domain cannot hold", async () => {
    await expect(
      admin.policy.updateDomain({
        domainId: ids.open,
        patch: { relay: "local-networks" } as never,
        confirmLoosening: true,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
