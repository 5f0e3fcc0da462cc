// Row 21 as admins see it in the console: a server's blocks come from its agent through the real hub, a
// lift reaches the agent and leaves an audit event naming what was lifted, another customer's users see
// and change nothing, and a user suspended by the internal-spammer rule shows on the overview of the
// admins of that user's domain — and nobody else's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { createEnrolledServer, type EnrolledServer, type RunningHub } from "@mailwarden/hub/testing";
import type { AbuseBlockReport, HubCommand } from "@mailwarden/protocol";
import {
  callerFor,
  connectAnsweringAgent,
  createTestRuntime,
  createUser,
  startTestHub,
  testPosture,
  type CommandAnswer,
} from "../testing";

let prisma: Db;
let stopDb: () => Promise<void>;
let hub: RunningHub;
let admin: ReturnType<typeof callerFor>;
let server: EnrolledServer;
let tenantId: string;
let domain: string;
const users = {} as { ownCustomerAdmin: string; ownDomainAdmin: string; otherCustomerAdmin: string };

const bruteForce: AbuseBlockReport = {
  id: "00000000000000a1",
  kind: "ip",
  subject: "203.0.113.9",
  rule: "ids.brute-force",
  action: "block",
  reason: "5 failed logins within 10 min",
  since: "2026-11-23T01:00:00.000Z",
  until: "2026-11-23T02:00:00.000Z",
};
const suspension = (address: string): AbuseBlockReport => ({
  id: "00000000000000b2",
  kind: "user",
  subject: address,
  rule: "ids.internal-spammer",
  action: "suspend",
  reason: "50 messages within 10 min",
  since: "2026-11-23T01:05:00.000Z",
  until: null,
});

function answer(command: HubCommand): CommandAnswer {
  if (command.type === "abuse.list") return { ok: true, result: { blocks: [bruteForce] } };
  if (command.type === "abuse.lift") {
    return {
      ok: true,
      result: {
        done: command.ids.filter((id) => id === bruteForce.id),
        missing: command.ids.filter((id) => id !== bruteForce.id),
      },
    };
  }
  return { ok: false, error: "not in this test" };
}

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stopDb = db.stop;
  hub = await startTestHub(db);
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  admin = callerFor(prisma, user.id);
  tenantId = (await admin.customer.create({ name: "Blocks Co", require2fa: false })).id;
  const otherTenant = (await admin.customer.create({ name: "Other Co", require2fa: false })).id;
  domain = "shop-blocks.test";
  const ownDomain = await prisma.domain.create({ data: { tenantId, name: domain } });
  await prisma.domain.create({ data: { tenantId: otherTenant, name: "other-blocks.test" } });
  server = await createEnrolledServer(prisma, tenantId);
  users.ownCustomerAdmin = (
    await createUser(prisma, { email: "ca@blocks.test", membership: { tenantId, role: "CUSTOMER_ADMIN" } })
  ).id;
  users.ownDomainAdmin = (
    await createUser(prisma, {
      email: "da@blocks.test",
      membership: { tenantId, role: "DOMAIN_ADMIN", domainIds: [ownDomain.id] },
    })
  ).id;
  users.otherCustomerAdmin = (
    await createUser(prisma, {
      email: "ca@other-blocks.test",
      membership: { tenantId: otherTenant, role: "CUSTOMER_ADMIN" },
    })
  ).id;
});
afterAll(async () => {
  await hub?.stop();
  await stopDb?.();
});

describe("abuse blocks", () => {
  it("lists the agent's blocks for the provider and the customer's own admin, not for another customer", async () => {
    const agent = await connectAnsweringAgent(hub.url, server, answer);
    try {
      expect(await admin.server.abuseBlocks({ serverId: server.serverId })).toEqual({
        status: "ok",
        blocks: [bruteForce],
      });
      const own = callerFor(prisma, users.ownCustomerAdmin);
      expect(await own.server.abuseBlocks({ serverId: server.serverId })).toMatchObject({ status: "ok" });
      const other = callerFor(prisma, users.otherCustomerAdmin);
      await expect(other.server.abuseBlocks({ serverId: server.serverId })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      expect(agent.commands).toEqual([{ type: "abuse.list" }, { type: "abuse.list" }]);
    } finally {
      await agent.close();
    }
  });

  it("lifts a block on the agent and audits what was lifted; customer users cannot lift", async () => {
    await prisma.server.update({
      where: { id: server.serverId },
      data: { posture: testPosture({ abuseBlocks: [bruteForce] }), postureAt: new Date() },
    });
    const agent = await connectAnsweringAgent(hub.url, server, answer);
    try {
      const auditsBefore = await prisma.auditEvent.count();
      for (const userId of [users.ownCustomerAdmin, users.otherCustomerAdmin]) {
        await expect(
          callerFor(prisma, userId).server.liftAbuseBlock({
            serverId: server.serverId,
            blockId: bruteForce.id,
          }),
        ).rejects.toMatchObject({ code: "FORBIDDEN" });
      }
      expect(await prisma.auditEvent.count()).toBe(auditsBefore);
      expect(agent.commands).toEqual([]);

      expect(
        await admin.server.liftAbuseBlock({ serverId: server.serverId, blockId: bruteForce.id }),
      ).toEqual({
        status: "ok",
        result: { done: [bruteForce.id], missing: [] },
      });
      expect(agent.commands).toEqual([{ type: "abuse.lift", ids: [bruteForce.id] }]);
      const [audit] = await prisma.auditEvent.findMany({ where: { type: "ABUSE_BLOCK_LIFTED" } });
      expect(audit).toMatchObject({
        actorLabel: "ops@provider.test",
        tenantId,
        targetType: "server",
        targetId: server.serverId,
        after: { blockId: bruteForce.id, commandId: expect.any(String) },
      });
      expect(audit!.summary).toMatch(/^Lifted the Password brute force block on 203\.0\.113\.9 on mx-\S+$/);
    } finally {
      await agent.close();
    }
  });

  it("alerts the admins of a suspended user's domain on the overview, and nobody else", async () => {
    await prisma.server.update({
      where: { id: server.serverId },
      data: {
        posture: testPosture({ abuseBlocks: [bruteForce, suspension(`carol@${domain}`)] }),
        postureAt: new Date(),
      },
    });
    const expected = {
      address: `carol@${domain}`,
      reason: "50 messages within 10 min",
      since: "2026-11-23T01:05:00.000Z",
    };
    const own = await callerFor(prisma, users.ownCustomerAdmin).overview.get();
    expect(own.suspendedSenders).toEqual([
      { ...expected, server: { id: server.serverId, name: expect.any(String) } },
    ]);
    // A domain admin may not see servers: the alert without the server.
    const domainAdmin = await callerFor(prisma, users.ownDomainAdmin).overview.get();
    expect(domainAdmin.suspendedSenders).toEqual([{ ...expected, server: null }]);
    expect((await admin.overview.get()).suspendedSenders).toHaveLength(1);
    const other = await callerFor(prisma, users.otherCustomerAdmin).overview.get();
    expect(other.suspendedSenders).toEqual([]);
  });
});
