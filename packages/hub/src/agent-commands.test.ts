// Dashboard commands reach the agent that holds a socket — now, on connection, or through the other hub
// process — exactly once; only that agent's answer is recorded, only if well-formed; silence expires.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, issueAgentCommand, type Db } from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import { sweepAgentCommands } from "./agent-commands";
import {
  FakeAgent,
  createEnrolledServer,
  eventually,
  startHub,
  type EnrolledServer,
  type RunningHub,
} from "./test-support";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
/** The quick hub expires every command of its database after 400 ms: it gets a database of its own. */
let quickDb: Awaited<ReturnType<typeof createTestDatabase>>;
let prismaB: Db;
let hub: RunningHub;
let hubB: RunningHub;
let quickHub: RunningHub;

beforeAll(async () => {
  db = await createTestDatabase();
  quickDb = await createTestDatabase();
  prismaB = createPrismaClient(db.url);
  hub = await startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
  hubB = await startHub({ prisma: prismaB, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
  quickHub = await startHub({
    prisma: quickDb.prisma,
    databaseUrl: quickDb.url,
    heartbeatIntervalMs: 1000,
    commandTimeoutMs: 400,
  });
});
afterAll(async () => {
  await hub?.stop();
  await hubB?.stop();
  await quickHub?.stop();
  await prismaB?.$disconnect();
  await db?.stop();
  await quickDb?.stop();
});

function issue(server: EnrolledServer, payload: { type: string; ids?: string[] }, prisma = db.prisma) {
  return prisma.$transaction((tx) =>
    issueAgentCommand(tx, {
      serverId: server.serverId,
      tenantId: server.tenantId,
      type: payload.type,
      payload,
    }),
  );
}

const commandRow = (id: string, prisma = db.prisma) =>
  prisma.agentCommand.findUniqueOrThrow({ where: { id } });

const listing = {
  size: 1,
  oldestAt: "2026-01-01T00:00:00.000Z",
  entries: [
    {
      id: "MQ1",
      from: "alice@a.test",
      receivedAt: "2026-01-01T00:00:00.000Z",
      size: 1234,
      recipientCount: 1,
      recipients: [
        {
          address: "bob@remote.test",
          state: "pending",
          attempts: 2,
          nextAttemptAt: "2026-01-01T00:10:00.000Z",
          lastError: "451 4.7.1 try later",
        },
      ],
    },
  ],
};

describe("agent commands", () => {
  it("sends a command to the connected agent at once and records its answer", async () => {
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(hub.url, server, { appliedRevision: 1 });
    const { id } = await issue(server, { type: "queue.list" });
    const sent = await agent.next("hub.command");
    expect(sent).toEqual({ type: "hub.command", commandId: id, command: { type: "queue.list" } });
    expect((await commandRow(id)).status).toBe("SENT");

    agent.send({ type: "agent.command.result", commandId: id, ok: true, result: listing });
    const done = await eventually(async () => {
      const row = await commandRow(id);
      return row.status === "DONE" && row;
    });
    expect(done.result).toEqual(listing);
    expect(done.completedAt).not.toBeNull();
    await agent.close();
  });

  it("holds a command for an offline agent until it connects, then sends it once", async () => {
    const server = await createEnrolledServer(db.prisma);
    const { id } = await issue(server, { type: "queue.retry", ids: ["MQ1", "MQ2"] });
    await new Promise((r) => setTimeout(r, 200));
    expect((await commandRow(id)).status).toBe("PENDING");

    const agent = await FakeAgent.session(hub.url, server, { appliedRevision: 1 });
    const sent = await agent.next("hub.command");
    expect(sent.command).toEqual({ type: "queue.retry", ids: ["MQ1", "MQ2"] });
    agent.send({
      type: "agent.command.result",
      commandId: id,
      ok: true,
      result: { done: ["MQ1"], missing: ["MQ2"] },
    });
    await eventually(async () => (await commandRow(id)).status === "DONE");
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.sent("hub.command")).toEqual([]);
    await agent.close();
  });

  it("reaches an agent held by the other hub process, and only through it", async () => {
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(hubB.url, server, { appliedRevision: 1 });
    const { id } = await issue(server, { type: "queue.resetRetries" });
    expect((await agent.next("hub.command")).commandId).toBe(id);
    agent.send({ type: "agent.command.result", commandId: id, ok: true, result: { count: 4 } });
    const row = await eventually(async () => {
      const r = await commandRow(id);
      return r.status === "DONE" && r;
    });
    expect(row.result).toEqual({ count: 4 });
    await agent.close();
  });

  it("ignores an answer from another agent and stores failures, never malformed results", async () => {
    const mine = await createEnrolledServer(db.prisma);
    const other = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(hub.url, mine, { appliedRevision: 1 });
    const intruder = await FakeAgent.session(hub.url, other, { appliedRevision: 1 });
    const { id } = await issue(mine, { type: "queue.delete", ids: ["MQ1"] });
    await agent.next("hub.command");

    intruder.send({
      type: "agent.command.result",
      commandId: id,
      ok: true,
      result: { done: [], missing: [] },
    });
    intruder.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    await intruder.next("hub.heartbeat.ack");
    expect((await commandRow(id)).status).toBe("SENT");

    agent.send({ type: "agent.command.result", commandId: id, ok: false, error: "queue not ready" });
    const failed = await eventually(async () => {
      const r = await commandRow(id);
      return r.status === "FAILED" && r;
    });
    expect(failed.error).toBe("queue not ready");
    // A second answer to a finished command changes nothing.
    agent.send({
      type: "agent.command.result",
      commandId: id,
      ok: true,
      result: { done: ["MQ1"], missing: [] },
    });

    const malformed = await issue(mine, { type: "queue.list" });
    await agent.next("hub.command");
    agent.send({
      type: "agent.command.result",
      commandId: malformed.id,
      ok: true,
      result: { entries: "lots" },
    });
    const bad = await eventually(async () => {
      const r = await commandRow(malformed.id);
      return r.status === "FAILED" && r;
    });
    expect(bad.result).toBeNull();
    expect(bad.error).toMatch(/malformed/);
    expect((await commandRow(id)).status).toBe("FAILED");
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
    await agent.close();
    await intruder.close();
  });

  it("expires commands nobody answered, and never sends them afterwards", async () => {
    const prisma = quickDb.prisma;
    const server = await createEnrolledServer(prisma);
    const agent = await FakeAgent.session(quickHub.url, server, { appliedRevision: 1 });
    const { id } = await issue(server, { type: "queue.list" }, prisma);
    await agent.next("hub.command");
    const expired = await eventually(async () => {
      const r = await commandRow(id, prisma);
      return r.status === "EXPIRED" && r;
    });
    expect(expired.error).toMatch(/did not answer/);
    agent.send({ type: "agent.command.result", commandId: id, ok: true, result: listing });
    await agent.close();

    const offline = await createEnrolledServer(prisma);
    const stale = await issue(offline, { type: "queue.list" }, prisma);
    await eventually(async () => (await commandRow(stale.id, prisma)).status === "EXPIRED");
    const late = await FakeAgent.session(quickHub.url, offline, { appliedRevision: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(late.sent("hub.command")).toEqual([]);
    expect((await commandRow(id, prisma)).status).toBe("EXPIRED");
    await late.close();
  });

  it("forgets finished commands after a day, keeps the rest", async () => {
    const server = await createEnrolledServer(db.prisma);
    const old = await issue(server, { type: "queue.list" });
    const recent = await issue(server, { type: "queue.list" });
    await db.prisma.agentCommand.update({
      where: { id: old.id },
      data: { status: "DONE", completedAt: new Date(Date.now() - 25 * 3600_000) },
    });
    await db.prisma.agentCommand.update({
      where: { id: recent.id },
      data: { status: "DONE", completedAt: new Date(Date.now() - 3600_000) },
    });
    await sweepAgentCommands(db.prisma, 120_000);
    expect(await db.prisma.agentCommand.findUnique({ where: { id: old.id } })).toBeNull();
    expect((await commandRow(recent.id)).status).toBe("DONE");
  });

  it("fails a malformed stored command instead of sending it", async () => {
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(hub.url, server, { appliedRevision: 1 });
    const { id } = await issue(server, { type: "queue.delete" }); // no ids
    const row = await eventually(async () => {
      const r = await commandRow(id);
      return r.status === "FAILED" && r;
    });
    expect(row.error).toMatch(/malformed/);
    expect(agent.sent("hub.command")).toEqual([]);
    await agent.close();
  });
});
