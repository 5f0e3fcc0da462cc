// The server role as the provider sets it: saved as the server's own policy revision, audited with
// before/after, and in the config the hub pushes to that server's agent; a customer of another tenant
// cannot even see that the server exists.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { buildAgentConfig } from "@mailwarden/hub";
import { callerFor, createTestRuntime, createUser } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
let admin: ReturnType<typeof callerFor>;
let outsider: ReturnType<typeof callerFor>;
let serverId: string;

const backupRole = {
  role: "backup-mx" as const,
  relayHost: "mx1.primary.test:2525",
  backupDomains: ["primary.test"],
};

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  admin = callerFor(prisma, user.id);
  const tenant = await admin.customer.create({ name: "Role Co", require2fa: false });
  const other = await admin.customer.create({ name: "Other Co", require2fa: false });
  serverId = (await admin.server.create({ name: "mx-backup", customerId: tenant.id })).id;
  const stranger = await createUser(prisma, {
    email: "ca@other.test",
    membership: { tenantId: other.id, role: "CUSTOMER_ADMIN" },
  });
  outsider = callerFor(prisma, stranger.id);
});
afterAll(async () => stop?.());

describe("server policy", () => {
  it("starts as a primary, from the secure default", async () => {
    const policy = await admin.policy.server({ serverId });
    expect(policy.settings.find((s) => s.key === "serverRole")).toMatchObject({
      value: { role: "primary", relayHost: null, backupDomains: [] },
      source: "default",
      setHere: false,
    });
  });

  it("saves the role, audits it and pushes it into the server's agent config", async () => {
    const before = await prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    await admin.policy.updateServer({ serverId, patch: { serverRole: backupRole } });
    const policy = await admin.policy.server({ serverId });
    expect(policy.settings.find((s) => s.key === "serverRole")).toMatchObject({
      value: backupRole,
      source: "server",
      setHere: true,
    });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "POLICY_CHANGED", targetType: "server", targetId: serverId },
    });
    expect(audit.summary).toMatch(/^Policy of server mx-backup changed — Server role: .*→ Role: backup-mx/);
    expect(audit.before).toEqual({});
    expect(audit.after).toEqual({ serverRole: backupRole });
    const { revision, config } = await buildAgentConfig(prisma, serverId);
    expect(revision).toBe(before.desiredRevision + 1);
    expect(config.server.serverRole).toEqual(backupRole);
  });

  it("refuses a role without the host it needs, and keys that are not per server", async () => {
    await expect(
      admin.policy.updateServer({
        serverId,
        patch: { serverRole: { role: "primary-with-smarthost", relayHost: null, backupDomains: [] } },
      }),
    ).rejects.toThrow(/needs a relay host/);
    await expect(
      admin.policy.updateServer({ serverId, patch: { requireSmtpAuth: false } as never }),
    ).rejects.toThrow();
  });

  it("saves an IP blacklist entry for the server, into the config its agent gets", async () => {
    const entry = { network: "192.0.2.0/24", reason: "scanner", expiresAt: null };
    await admin.policy.updateServer({ serverId, patch: { ipBlacklist: [entry] } });
    const policy = await admin.policy.server({ serverId });
    expect(policy.settings.find((s) => s.key === "ipBlacklist")).toMatchObject({
      value: [entry],
      source: "server",
      setHere: true,
    });
    const { config } = await buildAgentConfig(prisma, serverId);
    expect(JSON.stringify(config)).toContain("192.0.2.0/24");
  });

  it("refuses a blacklist entry that is no address, saying which", async () => {
    await expect(
      admin.policy.updateServer({
        serverId,
        patch: { ipBlacklist: [{ network: "203.0.113.300", reason: "scanner", expiresAt: null }] },
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "IP blacklist — Entry 1: 203.0.113.300 is not an IP address or network",
    });
  });

  it("is NOT_FOUND for another tenant's user, to read or to write", async () => {
    await expect(outsider.policy.server({ serverId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      outsider.policy.updateServer({ serverId, patch: { serverRole: null } }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
