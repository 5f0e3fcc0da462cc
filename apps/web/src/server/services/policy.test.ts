// Provider defaults and propagation as an admin sees them: loosening needs confirmation, a preview
// lists exactly the domains that change, applying it makes every domain inherit, and each step is one
// audit event. Affected servers get a new desired revision (what the hub pushes). Customer admins set
// customer values their domains inherit; a provider lock stops every level below from loosening it.
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
    expect(audit.summary).toBe("Policy of open.test changed — Require SMTP authentication: On → Off");
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

  it("a whitelist entry is a loosening: confirmed first, then the provider's list", async () => {
    const entry = {
      network: "198.51.100.7",
      reason: "partner relay",
      expiresAt: "2030-01-01T00:00:00.000Z",
      skips: ["dnsbl" as const],
    };
    await expect(
      admin.policy.updateProvider({ patch: { ipWhitelist: [entry] }, confirmLoosening: false }),
    ).rejects.toThrow(/Confirm loosening: IP whitelist — The listed addresses skip the named checks/);
    await admin.policy.updateProvider({ patch: { ipWhitelist: [entry] }, confirmLoosening: true });
    const provider = await admin.policy.provider();
    expect(provider.settings.find((s) => s.key === "ipWhitelist")).toMatchObject({ value: [entry] });
    await admin.policy.updateProvider({ patch: { ipWhitelist: null }, confirmLoosening: false });
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

describe("customer level and provider locks", () => {
  const c = {} as {
    tenant: string;
    shop: string;
    blog: string;
    otherTenant: string;
    otherDomain: string;
    customerAdmin: ReturnType<typeof callerFor>;
    domainAdmin: ReturnType<typeof callerFor>;
  };
  const setting = (data: { settings: { key: string }[] }, key: string) =>
    data.settings.find((s) => s.key === key);

  beforeAll(async () => {
    const tenant = await admin.customer.create({ name: "Layer Co", require2fa: false });
    c.tenant = tenant.id;
    c.shop = (await admin.domain.create({ name: "shop.layer.test", customerId: tenant.id })).id;
    c.blog = (await admin.domain.create({ name: "blog.layer.test", customerId: tenant.id })).id;
    const other = await admin.customer.create({ name: "Elsewhere Co", require2fa: false });
    c.otherTenant = other.id;
    c.otherDomain = (await admin.domain.create({ name: "elsewhere.test", customerId: other.id })).id;
    const ca = await createUser(prisma, {
      email: "ca@layer.test",
      membership: { tenantId: tenant.id, role: "CUSTOMER_ADMIN" },
    });
    c.customerAdmin = callerFor(prisma, ca.id);
    const da = await createUser(prisma, {
      email: "da@layer.test",
      membership: { tenantId: tenant.id, role: "DOMAIN_ADMIN", domainIds: [c.shop] },
    });
    c.domainAdmin = callerFor(prisma, da.id);
  });

  it("a customer admin sets a customer value that the customer's domains inherit, and only theirs", async () => {
    // SPF is a provider/domain row: not settable per customer.
    await expect(
      c.customerAdmin.policy.updateCustomer({
        customerId: c.tenant,
        patch: { spfCheck: "tag" },
        confirmLoosening: true,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "SPF check cannot be set per customer." });
    await expect(
      c.customerAdmin.policy.updateCustomer({ customerId: c.tenant, patch: { requireSmtpAuth: false } }),
    ).rejects.toThrow(/Confirm loosening: Require SMTP authentication/);
    await c.customerAdmin.policy.updateCustomer({
      customerId: c.tenant,
      patch: { requireSmtpAuth: false },
      confirmLoosening: true,
    });
    const customer = await c.customerAdmin.policy.customer({ customerId: c.tenant });
    expect(setting(customer, "requireSmtpAuth")).toMatchObject({
      value: false,
      source: "customer",
      setHere: true,
    });
    const shop = await c.customerAdmin.policy.domain({ domainId: c.shop });
    expect(setting(shop, "requireSmtpAuth")).toMatchObject({
      value: false,
      source: "customer",
      setHere: false,
      inheritedValue: false,
      inheritedSource: "customer",
    });
    const elsewhere = await admin.policy.domain({ domainId: c.otherDomain });
    expect(setting(elsewhere, "requireSmtpAuth")).toMatchObject({ value: true, source: "default" });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "POLICY_CHANGED", targetType: "customer", targetId: c.tenant },
    });
    expect(audit.summary).toBe("Policy of customer Layer Co changed — Require SMTP authentication: On → Off");
    expect(audit.before).toEqual({});
    expect(audit.after).toEqual({ requireSmtpAuth: false });
  });

  it("a domain admin cannot write the customer level; another customer's admin cannot see it", async () => {
    await expect(
      c.domainAdmin.policy.updateCustomer({ customerId: c.tenant, patch: { requireSmtpAuth: true } }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const stranger = await createUser(prisma, {
      email: "ca@elsewhere.test",
      membership: { tenantId: c.otherTenant, role: "CUSTOMER_ADMIN" },
    });
    await expect(
      callerFor(prisma, stranger.id).policy.customer({ customerId: c.tenant }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("a provider lock refuses looser values below it, ignores the ones already stored, and is audited", async () => {
    await c.domainAdmin.policy.updateDomain({
      domainId: c.shop,
      patch: { requireSmtpAuth: false },
      confirmLoosening: true,
    });
    await expect(
      c.customerAdmin.policy.setLock({ key: "requireSmtpAuth", isLocked: true }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await admin.policy.setLock({ key: "requireSmtpAuth", isLocked: true });

    const lockAudit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "POLICY_LOCKED", targetId: "requireSmtpAuth" },
    });
    expect(lockAudit.summary).toMatch(/^Require SMTP authentication locked at true/);
    expect(lockAudit.before).toBeNull();
    expect(lockAudit.after).toMatchObject({ lockedBy: "ops@provider.test" });

    // Stored "off" at the customer and the domain: kept, shown, not in force.
    const shop = await c.domainAdmin.policy.domain({ domainId: c.shop });
    expect(setting(shop, "requireSmtpAuth")).toMatchObject({
      value: true,
      source: "default",
      setHere: true,
      isIgnored: true,
      ignoredValue: false,
      lock: { lockedBy: "ops@provider.test" },
    });
    const provider = await admin.policy.provider();
    expect(setting(provider, "requireSmtpAuth")).toMatchObject({
      isLockable: true,
      lock: { lockedBy: "ops@provider.test" },
    });

    // Loosening below the lock is FORBIDDEN, with the reason; even confirmed.
    for (const attempt of [
      () =>
        c.customerAdmin.policy.updateCustomer({
          customerId: c.tenant,
          patch: { requireSmtpAuth: false },
          confirmLoosening: true,
        }),
      () =>
        c.domainAdmin.policy.updateDomain({
          domainId: c.shop,
          patch: { requireSmtpAuth: false },
          confirmLoosening: true,
        }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: "FORBIDDEN",
        message: expect.stringMatching(
          /^Require SMTP authentication is locked by the provider \(ops@provider\.test, .* UTC\): it cannot be looser than On\.$/,
        ),
      });
    }
    // The same value as the lock, a reset, and unrelated keys still save.
    await c.customerAdmin.policy.updateCustomer({ customerId: c.tenant, patch: { requireSmtpAuth: true } });
    await c.customerAdmin.policy.updateCustomer({ customerId: c.tenant, patch: { requireSmtpAuth: null } });
  });

  it("propagation under a lock previews only real changes and clears customer and domain values", async () => {
    await admin.policy.setLock({ key: "requireSmtpAuth", isLocked: false });
    const unlocked = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "POLICY_UNLOCKED", targetId: "requireSmtpAuth" },
    });
    expect(unlocked.before).toMatchObject({ lockedBy: "ops@provider.test" });
    expect(unlocked.after).toBeNull();
    // Unlocked, the domain's stored "off" is in force again.
    expect(setting(await admin.policy.domain({ domainId: c.shop }), "requireSmtpAuth")).toMatchObject({
      value: false,
      source: "domain",
      isIgnored: false,
    });
    await c.customerAdmin.policy.updateCustomer({
      customerId: c.tenant,
      patch: { requireSmtpAuth: false },
      confirmLoosening: true,
    });
    const preview = await admin.policy.previewPropagation({ key: "requireSmtpAuth" });
    expect(preview.changes.map((ch) => [ch.domain, ch.from, ch.to])).toEqual([
      ["blog.layer.test", false, true],
      ["shop.layer.test", false, true],
    ]);

    // Locked again, nothing below the provider is in force: the preview has nothing to change.
    await admin.policy.setLock({ key: "requireSmtpAuth", isLocked: true });
    expect((await admin.policy.previewPropagation({ key: "requireSmtpAuth" })).changes).toEqual([]);

    const before = await prisma.auditEvent.count({ where: { type: "POLICY_PROPAGATED" } });
    await admin.policy.propagate({ key: "requireSmtpAuth" });
    expect(await prisma.auditEvent.count({ where: { type: "POLICY_PROPAGATED" } })).toBe(before + 1);
    const customer = await admin.policy.customer({ customerId: c.tenant });
    expect(setting(customer, "requireSmtpAuth")).toMatchObject({ setHere: false });
    const shop = await admin.policy.domain({ domainId: c.shop });
    expect(setting(shop, "requireSmtpAuth")).toMatchObject({ setHere: false, isIgnored: false, value: true });
    await admin.policy.setLock({ key: "requireSmtpAuth", isLocked: false });
  });

  it("a customer sends its unknown recipients to a catch-all mailbox, and can refuse them again", async () => {
    await c.customerAdmin.policy.updateCustomer({
      customerId: c.tenant,
      patch: { catchAllMailbox: "postmaster" },
      confirmLoosening: true,
    });
    expect(
      setting(await c.customerAdmin.policy.domain({ domainId: c.blog }), "catchAllMailbox"),
    ).toMatchObject({ value: "postmaster", source: "customer" });
    await c.customerAdmin.policy.updateCustomer({ customerId: c.tenant, patch: { catchAllMailbox: null } });
    expect(
      setting(await c.customerAdmin.policy.customer({ customerId: c.tenant }), "catchAllMailbox"),
    ).toMatchObject({ value: null, setHere: false });
  });

  it("cannot lock a setting only the provider sets", async () => {
    await expect(admin.policy.setLock({ key: "dkimVerify", isLocked: true })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
