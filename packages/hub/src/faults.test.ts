// The push half under faults, against a real hub and Postgres: acks that never arrive or that the database
// refuses, a disconnect storm on a tiny connection pool, a blocked database, a LISTEN connection that
// cannot be opened. Faults are real: a trigger that makes Postgres refuse an update, a table lock, a
// port with nothing behind it. Each of these broke a session or lost a record before.
import net, { type AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuditEventType, ServerStatus, createPrismaClient, markConfigChanged, type Db } from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import WebSocket from "ws";
import { createHub } from "./hub";
import {
  FakeAgent,
  auditsOf,
  createEnrolledServer,
  eventually,
  silentLogger,
  startHub,
  testPosture,
  type RunningHub,
} from "./test-support";

/** Calm enough for a loaded machine; the sweep test uses a short one to watch it work. */
const HEARTBEAT_MS = 1000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function hub(prisma: Db = db.prisma, heartbeatIntervalMs = HEARTBEAT_MS): Promise<RunningHub> {
  const running = await startHub({ prisma, databaseUrl: db.url, heartbeatIntervalMs });
  cleanups.push(() => running.stop());
  return running;
}

const serverRow = (id: string) => db.prisma.server.findUniqueOrThrow({ where: { id } });

/** Makes Postgres refuse updates of Server rows matching `condition` (plpgsql on OLD/NEW) until restored. */
async function refuseServerUpdates(condition: string): Promise<() => Promise<void>> {
  await db.prisma.$executeRawUnsafe(`
    CREATE OR REPLACE FUNCTION injected_server_fault() RETURNS trigger AS $$
    BEGIN
      IF ${condition} THEN RAISE EXCEPTION 'injected fault'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await db.prisma.$executeRawUnsafe(
    `CREATE TRIGGER injected_server_fault BEFORE UPDATE ON "Server"
       FOR EACH ROW EXECUTE FUNCTION injected_server_fault()`,
  );
  let isRestored = false;
  const restore = async () => {
    if (isRestored) return;
    isRestored = true;
    await db.prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS injected_server_fault ON "Server"`);
  };
  cleanups.push(restore);
  return restore;
}

async function heartbeatAnswered(agent: FakeAgent, appliedRevision?: number): Promise<void> {
  agent.received.splice(
    0,
    agent.received.length,
    ...agent.received.filter((m) => m.type !== "hub.heartbeat.ack"),
  );
  agent.send({ type: "agent.heartbeat", sentAt: new Date().toISOString(), appliedRevision });
  await agent.next("hub.heartbeat.ack", 2000);
}

describe("acks are never lost", () => {
  it("records the revision an agent already holds when it says hello again", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    await db.prisma.server.update({ where: { id: server.serverId }, data: { desiredRevision: 3 } });
    // It applied revision 3 on an earlier connection whose ack never reached the database.
    const agent = await FakeAgent.session(url, server, { appliedRevision: 3 });
    await eventually(async () => (await serverRow(server.serverId)).appliedRevision === 3);
    expect(agent.sent("hub.config.apply")).toEqual([]);
    await agent.close();
  });

  it("records an applied revision from a heartbeat when the ack itself never arrived", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, {}, { isBeating: false });
    const { revision } = await agent.next("hub.config.apply");
    expect((await serverRow(server.serverId)).appliedRevision).toBeNull();
    await heartbeatAnswered(agent, revision);
    await eventually(async () => (await serverRow(server.serverId)).appliedRevision === revision);
    await agent.close();
  });

  it("keeps an ack the database refused, keeps the session, and writes it once the database takes it", async () => {
    const { url } = await hub(db.prisma, 2000);
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, {}, { isBeating: false });
    agent.send({ type: "agent.config.applied", revision: (await agent.next("hub.config.apply")).revision });
    await eventually(async () => (await serverRow(server.serverId)).appliedRevision !== null);

    const restore = await refuseServerUpdates(`NEW."appliedRevision" IS DISTINCT FROM OLD."appliedRevision"`);
    await db.prisma.$transaction((tx) => markConfigChanged(tx, { serverId: server.serverId }));
    const { revision } = await agent.next("hub.config.apply");
    agent.send({ type: "agent.config.applied", revision });
    // Refused for a while: the row still shows the old revision, and the agent is still served.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await serverRow(server.serverId)).appliedRevision).toBe(revision - 1);
    await heartbeatAnswered(agent);
    expect(agent.ws.readyState).toBe(WebSocket.OPEN);

    await restore();
    await eventually(async () => (await serverRow(server.serverId)).appliedRevision === revision, 10_000);
    const applied = await auditsOf(db.prisma, AuditEventType.POLICY_APPLIED, server.serverId);
    expect(applied.map((event) => (event.after as { appliedRevision: number }).appliedRevision)).toEqual([
      revision - 1,
      revision,
    ]);
    await agent.close();
  });
});

describe("a report Postgres cannot store", () => {
  it("is dropped after a few tries instead of holding up everyone's acks", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const other = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, { hostname: "mx\u0000nul.test" });
    const bystander = await FakeAgent.session(url, other);
    // jsonb refuses \u0000: this posture can never be written.
    agent.send({ type: "agent.posture", posture: { ...testPosture, hostname: "mx\u0000nul.test" } });
    const { revision } = await bystander.next("hub.config.apply");
    bystander.send({ type: "agent.config.applied", revision });
    await eventually(async () => (await serverRow(other.serverId)).appliedRevision === revision, 10_000);
    const row = await serverRow(server.serverId);
    expect(row.status).toBe(ServerStatus.ONLINE);
    expect(row.hostname).toBe("mxnul.test");
    expect(row.posture).toBeNull();
    await agent.close();
    await bystander.close();
  });
});

describe("offline marks", () => {
  it("marks every server offline after a disconnect storm on a two-connection pool", async () => {
    const small = createPrismaClient(db.url, { maxConnections: 2 });
    cleanups.push(() => small.$disconnect());
    const { url } = await hub(small, 1000);
    const servers = await Promise.all(Array.from({ length: 120 }, () => createEnrolledServer(db.prisma)));
    const agents = await Promise.all(servers.map((server) => FakeAgent.session(url, server)));
    const ids = servers.map((server) => server.serverId);
    await eventually(
      async () => (await db.prisma.server.count({ where: { id: { in: ids }, status: "ONLINE" } })) === 120,
    );

    for (const agent of agents) agent.ws.terminate();
    await eventually(
      async () => (await db.prisma.server.count({ where: { id: { in: ids }, status: "ONLINE" } })) === 0,
      10_000,
    );
    const disconnects = await db.prisma.auditEvent.count({
      where: { type: AuditEventType.AGENT_DISCONNECTED, targetId: { in: ids } },
    });
    expect(disconnects).toBe(120);
  });

  it("puts right a server left ONLINE with no socket on any hub", async () => {
    await hub(db.prisma, 200);
    const server = await createEnrolledServer(db.prisma);
    await db.prisma.server.update({
      where: { id: server.serverId },
      data: { status: ServerStatus.ONLINE, lastSeenAt: new Date(Date.now() - 60_000) },
    });
    await eventually(async () => (await serverRow(server.serverId)).status === ServerStatus.OFFLINE);
  });
});

describe("a blocked or failing database", () => {
  it("answers heartbeats while the Server table is locked", async () => {
    const { url } = await hub(db.prisma, 1000);
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, {}, { isBeating: false });
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    cleanups.push(() => locker.end());
    await locker.query(`BEGIN; LOCK TABLE "Server" IN ACCESS EXCLUSIVE MODE`);
    try {
      // A last-seen write is due (half an interval passed) and cannot run: the ack must not wait for it.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await heartbeatAnswered(agent);
      await heartbeatAnswered(agent);
    } finally {
      await locker.query("ROLLBACK");
    }
    expect(agent.ws.readyState).toBe(WebSocket.OPEN);
    await agent.close();
  });

  it("keeps the session when a posture write fails, and writes it once the database recovers", async () => {
    const { url } = await hub(db.prisma, 1000);
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server);
    const restore = await refuseServerUpdates(`NEW."posture" IS DISTINCT FROM OLD."posture"`);
    agent.send({ type: "agent.posture", posture: testPosture });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await serverRow(server.serverId)).posture).toBeNull();
    await heartbeatAnswered(agent);
    await restore();
    await eventually(async () => (await serverRow(server.serverId)).posture !== null, 10_000);
    expect(agent.ws.readyState).toBe(WebSocket.OPEN);
    await agent.close();
  });
});

describe("listening for changes", () => {
  it("retries a start-up that cannot listen, is unhealthy until it can, and makes good what it missed while deaf", async () => {
    // A port with nothing behind it yet; later a plain TCP relay to the real database.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const target = new URL(db.url);
    const deafUrl = new URL(db.url);
    deafUrl.port = String(port);

    const h = createHub({
      prisma: db.prisma,
      databaseUrl: deafUrl.toString(),
      logger: silentLogger,
      heartbeatIntervalMs: 1000,
    });
    cleanups.push(() => h.close());
    await eventually(async () => h.health().problem?.startsWith("cannot listen for changes"));
    expect(h.health()).toMatchObject({ ok: false, listening: false });

    let relay = await startRelay(port, Number(target.port), target.hostname);
    cleanups.push(() => relay.stop());
    await h.ready;
    expect(h.health()).toMatchObject({ ok: true, listening: true, problem: null });

    // Deaf no more: a change made now reaches an agent connected to this hub.
    const httpServer = (await import("node:http")).createServer();
    httpServer.on("upgrade", (req, socket, head) => h.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    });
    const server = await createEnrolledServer(db.prisma);
    const { port: hubPort } = httpServer.address() as AddressInfo;
    const agent = await FakeAgent.session(`ws://127.0.0.1:${hubPort}/agent`, server);
    const first = await agent.next("hub.config.apply");
    agent.send({ type: "agent.config.applied", revision: first.revision });
    await db.prisma.$transaction((tx) => markConfigChanged(tx, { tenantId: server.tenantId }));
    const second = await agent.next("hub.config.apply");
    expect(second.revision).toBe(first.revision + 1);
    agent.send({ type: "agent.config.applied", revision: second.revision });

    // The LISTEN connection drops and cannot come back for a while: unhealthy, and the change made
    // meanwhile (its notification went nowhere) still reaches the agent once it listens again.
    await relay.stop();
    await eventually(async () => !h.health().listening);
    expect(h.health()).toMatchObject({ ok: false, problem: "LISTEN connection lost; reconnecting" });
    await db.prisma.$transaction((tx) => markConfigChanged(tx, { tenantId: server.tenantId }));
    relay = await startRelay(port, Number(target.port), target.hostname);
    await eventually(async () => h.health().ok, 15_000);
    expect((await agent.next("hub.config.apply", 15_000)).revision).toBe(first.revision + 2);
    await agent.close();
  });
});

describe("admission", () => {
  it("answers a reconnect storm beyond its rate with 503 and a Retry-After that spreads it out", async () => {
    const running = await startHub({
      prisma: db.prisma,
      databaseUrl: db.url,
      heartbeatIntervalMs: 1000,
      admitPerSecond: 5,
    });
    cleanups.push(() => running.stop());
    const answers = await Promise.all(
      Array.from(
        { length: 25 },
        () =>
          new Promise<{ status: number; retryAfter?: string }>((resolve) => {
            const ws = new WebSocket(running.url);
            ws.on("open", () => {
              resolve({ status: 101 });
              ws.terminate();
            });
            ws.on("unexpected-response", (_req, res) => {
              resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] });
              ws.terminate();
            });
            ws.on("error", () => undefined);
          }),
      ),
    );
    const admitted = answers.filter((a) => a.status === 101);
    const refused = answers.filter((a) => a.status === 503);
    expect(admitted.length).toBeGreaterThanOrEqual(5);
    expect(admitted.length + refused.length).toBe(25);
    const waits = refused.map((a) => Number(a.retryAfter));
    expect(waits.every((s) => Number.isInteger(s) && s >= 1)).toBe(true);
    // Five a second: twenty refused are booked over about four seconds, not all told "1".
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(3);
  });
});

/** A plain TCP relay from a loopback port to the database, which a test can cut and bring back. */
async function startRelay(
  port: number,
  targetPort: number,
  targetHost: string,
): Promise<{ stop(): Promise<void> }> {
  const relayed = new Set<net.Socket>();
  const relay = net.createServer((socket) => {
    const upstream = net.connect(targetPort, targetHost);
    relayed.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(port, "127.0.0.1", resolve));
  let stopped: Promise<void> | null = null;
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        relay.close(() => resolve());
        for (const socket of relayed) socket.destroy();
      })),
  };
}
