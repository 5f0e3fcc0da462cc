// Two hub processes on one database, as behind a load balancer: each has its own Prisma client and its
// own LISTEN connection, and only the one holding an agent's socket may push to it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, markConfigChanged, type Db } from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import { FakeAgent, createEnrolledServer, eventually, startHub, type RunningHub } from "./test-support";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prismaB: Db;
let hubA: RunningHub;
let hubB: RunningHub;

beforeAll(async () => {
  db = await createTestDatabase();
  prismaB = createPrismaClient(db.url);
  hubA = await startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
  hubB = await startHub({ prisma: prismaB, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
});
afterAll(async () => {
  await hubA?.stop();
  await hubB?.stop();
  await prismaB?.$disconnect();
  await db?.stop();
});

describe("two hub instances on one database", () => {
  it("routes a change to the process holding the agent's socket, and only there", async () => {
    const serverA = await createEnrolledServer(db.prisma);
    const serverB = await createEnrolledServer(db.prisma);
    const agentA = await FakeAgent.session(hubA.url, serverA, { appliedRevision: 1 });
    const agentB = await FakeAgent.session(hubB.url, serverB, { appliedRevision: 1 });
    expect(hubA.hub.connectedAgentIds()).toEqual([serverA.serverId]);
    expect(hubB.hub.connectedAgentIds()).toEqual([serverB.serverId]);

    // Made through hub A's Prisma client, as the dashboard living in process A would.
    await db.prisma.$transaction((tx) => markConfigChanged(tx, { tenantId: serverB.tenantId }));

    const apply = await agentB.next("hub.config.apply");
    expect(apply.revision).toBe(2);
    agentB.send({ type: "agent.config.applied", revision: 2 });

    // Agent A's tenant did not change: after a pause and a heartbeat round trip, it has received no config.
    await new Promise((resolve) => setTimeout(resolve, 300));
    agentA.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    await agentA.next("hub.heartbeat.ack");
    expect(agentA.sent("hub.config.apply")).toEqual([]);
    expect(agentB.sent("hub.config.apply")).toEqual([]);
    await eventually(
      async () =>
        (await db.prisma.server.findUniqueOrThrow({ where: { id: serverB.serverId } })).appliedRevision === 2,
    );

    await agentA.close();
    await agentB.close();
  });

  it("keeps the server ONLINE when its agent moves to the other process", async () => {
    const server = await createEnrolledServer(db.prisma);
    const onA = await FakeAgent.session(hubA.url, server, { appliedRevision: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const onB = await FakeAgent.session(hubB.url, server, { appliedRevision: 1 });
    // Process A only learns when the old socket drops; that must not flip the server offline.
    await onA.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const row = await db.prisma.server.findUniqueOrThrow({ where: { id: server.serverId } });
    expect(row.status).toBe("ONLINE");
    await onB.close();
  });
});
