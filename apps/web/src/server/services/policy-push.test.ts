// End to end through the real hub: a customer admin's customer-level change reaches, over the agents'
// sockets, exactly the servers of that customer (with the new effective policy of each of its domains)
// and no other agent; a provider lock then reaches every agent and overrides that customer value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import {
  createEnrolledServer,
  FakeAgent,
  type EnrolledServer,
  type RunningHub,
} from "@mailwarden/hub/testing";
import { callerFor, createTestRuntime, createUser, startTestHub } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
let hub: RunningHub;
let provider: ReturnType<typeof callerFor>;
let customerAdmin: ReturnType<typeof callerFor>;
const servers = {} as { alpha1: EnrolledServer; alpha2: EnrolledServer; beta: EnrolledServer };
const agents = {} as Record<keyof typeof servers, FakeAgent>;
let alphaId: string;

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  hub = await startTestHub(db);
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  provider = callerFor(prisma, user.id);
  const alpha = await provider.customer.create({ name: "Alpha", require2fa: false });
  const beta = await provider.customer.create({ name: "Beta", require2fa: false });
  alphaId = alpha.id;
  await provider.domain.create({ name: "alpha.test", customerId: alpha.id });
  await provider.domain.create({ name: "shop.alpha.test", customerId: alpha.id });
  await provider.domain.create({ name: "beta.test", customerId: beta.id });
  servers.alpha1 = await createEnrolledServer(prisma, alpha.id);
  servers.alpha2 = await createEnrolledServer(prisma, alpha.id);
  servers.beta = await createEnrolledServer(prisma, beta.id);
  for (const name of Object.keys(servers) as (keyof typeof servers)[]) {
    const { desiredRevision } = await prisma.server.findUniqueOrThrow({
      where: { id: servers[name].serverId },
    });
    // Up to date when it connects: anything it receives afterwards was pushed by a change.
    agents[name] = await FakeAgent.session(hub.url, servers[name], { appliedRevision: desiredRevision });
  }
  const admin = await createUser(prisma, {
    email: "admin@alpha.test",
    membership: { tenantId: alpha.id, role: "CUSTOMER_ADMIN" },
  });
  customerAdmin = callerFor(prisma, admin.id);
});
afterAll(async () => {
  for (const agent of Object.values(agents)) await agent?.close();
  await hub?.stop();
  await stop?.();
});

/** Proves the hub has handled everything sent so far to this agent: a heartbeat round trip. */
async function settle(agent: FakeAgent) {
  agent.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
  await agent.next("hub.heartbeat.ack");
}

const authOf = (config: { domains: { name: string; policy: { requireSmtpAuth: boolean } }[] }) =>
  Object.fromEntries(config.domains.map((d) => [d.name, d.policy.requireSmtpAuth]));

describe("a customer-level change", () => {
  it("reaches every agent of that customer with each domain's new policy, and no other agent", async () => {
    const betaBefore = await prisma.server.findUniqueOrThrow({ where: { id: servers.beta.serverId } });
    await customerAdmin.policy.updateCustomer({
      customerId: alphaId,
      patch: { requireSmtpAuth: false },
      confirmLoosening: true,
    });
    for (const name of ["alpha1", "alpha2"] as const) {
      const apply = await agents[name].next("hub.config.apply");
      expect(authOf(apply.config)).toEqual({ "alpha.test": false, "shop.alpha.test": false });
    }
    await settle(agents.beta);
    expect(agents.beta.sent("hub.config.apply")).toEqual([]);
    const betaAfter = await prisma.server.findUniqueOrThrow({ where: { id: servers.beta.serverId } });
    expect(betaAfter.desiredRevision).toBe(betaBefore.desiredRevision);
  });

  it("is overridden on every agent once the provider locks the setting", async () => {
    await provider.policy.setLock({ key: "requireSmtpAuth", isLocked: true });
    for (const name of ["alpha1", "alpha2"] as const) {
      const apply = await agents[name].next("hub.config.apply");
      expect(authOf(apply.config)).toEqual({ "alpha.test": true, "shop.alpha.test": true });
    }
    // A lock concerns everyone, so Beta's agent gets the (unchanged for it) policy too.
    const beta = await agents.beta.next("hub.config.apply");
    expect(authOf(beta.config)).toEqual({ "beta.test": true });
  });
});
