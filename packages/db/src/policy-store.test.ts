// Saved overrides must come back as the layers inheritance expects: provider defaults reach every domain,
// a domain override wins for that domain only, and a level can never store a key it may not set.
import { resolvePolicy, resolveWithSources } from "@mailwarden/policy";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadPolicyLayers, savePolicyOverrides, setPolicyLock } from "./policy-store";
import { createTestDatabase, type TestDatabase } from "./testing";

describe("policy store", () => {
  let db: TestDatabase;
  let tenantId: string;
  let domainId: string;
  let otherDomainId: string;
  let serverId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenantId = (await db.prisma.tenant.create({ data: { name: "Acme", slug: "acme" } })).id;
    domainId = (await db.prisma.domain.create({ data: { tenantId, name: "acme.test" } })).id;
    otherDomainId = (await db.prisma.domain.create({ data: { tenantId, name: "other.test" } })).id;
    serverId = (await db.prisma.server.create({ data: { tenantId, name: "mx1" } })).id;
  });
  afterAll(async () => {
    await db?.stop();
  });

  it("round-trips provider and domain overrides with inheritance", async () => {
    const provider = await db.prisma.$transaction((tx) =>
      savePolicyOverrides(tx, {
        scope: "PROVIDER",
        settings: { tlsMinVersion: "TLSv1.3", requireSmtpAuth: true },
      }),
    );
    expect(provider).toEqual({
      revision: 1,
      before: {},
      after: { tlsMinVersion: "TLSv1.3", requireSmtpAuth: true },
    });

    const domainPasswords = {
      minLength: 16,
      minClasses: 4,
      forbidUserOrDomainName: true,
      forbidCommon: true,
    };
    await db.prisma.$transaction((tx) =>
      savePolicyOverrides(tx, { scope: "DOMAIN", domainId, settings: { passwordPolicy: domainPasswords } }),
    );

    const layers = await loadPolicyLayers(db.prisma, { domainId });
    expect(layers).toEqual({
      provider: { tlsMinVersion: "TLSv1.3", requireSmtpAuth: true },
      domain: { passwordPolicy: domainPasswords },
    });
    const resolved = resolveWithSources(layers);
    expect(resolved.tlsMinVersion).toEqual({ value: "TLSv1.3", source: "provider" });
    expect(resolved.passwordPolicy).toEqual({ value: domainPasswords, source: "domain" });
    expect(resolved.relay.source).toBe("default");

    // The sibling domain inherits only the provider layer.
    const sibling = resolvePolicy(await loadPolicyLayers(db.prisma, { tenantId, domainId: otherDomainId }));
    expect(sibling.tlsMinVersion).toBe("TLSv1.3");
    expect(sibling.passwordPolicy.minLength).toBe(12);
  });

  it("stores the next revision with before/after and bumps the affected servers", async () => {
    const before = await db.prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    const saved = await db.prisma.$transaction((tx) =>
      savePolicyOverrides(tx, { scope: "DOMAIN", domainId, settings: { requireSmtpAuth: false } }),
    );
    expect(saved.revision).toBe(2);
    expect(saved.before).toHaveProperty("passwordPolicy");
    expect(saved.after).toEqual({ requireSmtpAuth: false }); // the full set for the level, not a patch

    const row = await db.prisma.policyRevision.findFirstOrThrow({ where: { domainId, revision: 2 } });
    expect(row.tenantId).toBe(tenantId); // the domain's tenant is recorded for tenant scoping
    const after = await db.prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    expect(after.desiredRevision).toBe(before.desiredRevision + 1);
  });

  it("drops keys the level may not set", async () => {
    // relay and tlsMinVersion may be set only by the provider or per server, not by a customer.
    const saved = await db.prisma.$transaction((tx) =>
      savePolicyOverrides(tx, {
        scope: "CUSTOMER",
        tenantId,
        settings: { relay: "local-networks", tlsMinVersion: "TLSv1.2", requireSmtpAuth: true },
      }),
    );
    expect(saved.after).toEqual({ requireSmtpAuth: true });
    const layers = await loadPolicyLayers(db.prisma, { tenantId });
    expect(layers.customer).toEqual({ requireSmtpAuth: true });
    expect(resolvePolicy(layers).relay).toBe("nobody");
  });

  it("ignores invalid stored settings with a warning instead of failing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await db.prisma.policyRevision.create({
        data: {
          scope: "SERVER",
          tenantId,
          serverId,
          revision: 1,
          settings: { tlsMinVersion: "SSLv3", relay: "nobody", retiredKey: true },
        },
      });
      const layers = await loadPolicyLayers(db.prisma, { serverId });
      expect(layers.server).toEqual({ relay: "nobody" });
      expect(resolvePolicy(layers).tlsMinVersion).toBe("TLSv1.3"); // from the provider, not the bad row
      expect(warn).toHaveBeenCalledTimes(2);

      await db.prisma.policyRevision.create({
        data: { scope: "SERVER", tenantId, serverId, revision: 2, settings: "not an object" },
      });
      expect((await loadPolicyLayers(db.prisma, { serverId })).server).toEqual({});
    } finally {
      warn.mockRestore();
    }
  });

  it("gives concurrent saves of one level distinct revisions", async () => {
    const results = await Promise.all(
      [12, 14, 16].map((minLength) =>
        db.prisma.$transaction((tx) =>
          savePolicyOverrides(tx, {
            scope: "PROVIDER",
            settings: {
              passwordPolicy: { minLength, minClasses: 3, forbidUserOrDomainName: true, forbidCommon: true },
            },
          }),
        ),
      ),
    );
    expect(results.map((r) => r.revision).sort()).toEqual([2, 3, 4]);
  });

  it("loads provider locks into every level's layers and bumps every server when one is set", async () => {
    const user = await db.prisma.user.create({ data: { email: "pat@provider.test", name: "Pat" } });
    await db.prisma.$transaction((tx) =>
      savePolicyOverrides(tx, { scope: "DOMAIN", domainId, settings: { requireSmtpAuth: false } }),
    );
    const before = await db.prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    const locked = await db.prisma.$transaction((tx) =>
      setPolicyLock(tx, { key: "requireSmtpAuth", isLocked: true, userId: user.id, label: user.email }),
    );
    expect(locked).toMatchObject({ changed: true, before: null, after: { lockedBy: "pat@provider.test" } });
    const after = await db.prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    expect(after.desiredRevision).toBe(before.desiredRevision + 1);

    const layers = await loadPolicyLayers(db.prisma, { domainId });
    expect(layers.locks?.requireSmtpAuth?.lockedBy).toBe("pat@provider.test");
    // The domain's stored "off" is kept but no longer in force.
    expect(layers.domain).toMatchObject({ requireSmtpAuth: false });
    expect(resolveWithSources(layers).requireSmtpAuth).toMatchObject({
      value: true,
      ignored: [{ level: "domain", value: false }],
    });

    // Locking twice changes nothing; unlocking puts the domain's value back in force.
    const again = await db.prisma.$transaction((tx) =>
      setPolicyLock(tx, { key: "requireSmtpAuth", isLocked: true, userId: user.id, label: user.email }),
    );
    expect(again.changed).toBe(false);
    await db.prisma.$transaction((tx) =>
      setPolicyLock(tx, { key: "requireSmtpAuth", isLocked: false, userId: user.id, label: user.email }),
    );
    expect(resolvePolicy(await loadPolicyLayers(db.prisma, { domainId })).requireSmtpAuth).toBe(false);
  });
});
