// The session life cycle against a real hub and Postgres: hello and its refusals, replacement, heartbeats
// and going offline, the start-up sweep after a crashed hub, and shutdown.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuditEventType, ServerStatus } from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import { CloseCode, PROTOCOL_VERSION } from "@mailwarden/protocol";
import {
  FakeAgent,
  auditsOf,
  createEnrolledServer,
  eventually,
  startHub,
  type RunningHub,
} from "./test-support";

/** Short enough to watch heartbeats expire; the handshake tests use a calmer interval. */
const HEARTBEAT_MS = 200;
const CALM_HEARTBEAT_MS = 1000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const hubs: RunningHub[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
});

async function hub(
  options: { handshakeTimeoutMs?: number; heartbeatIntervalMs?: number } = {},
): Promise<RunningHub> {
  const running = await startHub({
    prisma: db.prisma,
    databaseUrl: db.url,
    heartbeatIntervalMs: HEARTBEAT_MS,
    ...options,
  });
  hubs.push(running);
  return running;
}

const serverRow = (id: string) => db.prisma.server.findUniqueOrThrow({ where: { id } });

describe("session handshake", () => {
  it("welcomes a good agent, marks the server ONLINE with what it reported, and audits it", async () => {
    const { url, hub: h } = await hub({ heartbeatIntervalMs: CALM_HEARTBEAT_MS });
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.connect(url);
    agent.hello(server, { hostname: "mx9.customer.test", agentVersion: "1.2.3" });
    const welcome = await agent.next("hub.welcome");
    expect(welcome).toEqual({
      type: "hub.welcome",
      agentId: server.serverId,
      heartbeatIntervalMs: CALM_HEARTBEAT_MS,
    });
    agent.startBeating(welcome.heartbeatIntervalMs);

    const row = await serverRow(server.serverId);
    expect(row.status).toBe(ServerStatus.ONLINE);
    expect(row.hostname).toBe("mx9.customer.test");
    expect(row.agentVersion).toBe("1.2.3");
    expect(row.lastSeenAt?.getTime()).toBeGreaterThan(Date.now() - 5000);
    expect(await auditsOf(db.prisma, AuditEventType.AGENT_CONNECTED, server.serverId)).toHaveLength(1);
    expect(h.connectedAgentIds()).toEqual([server.serverId]);

    agent.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    expect((await agent.next("hub.heartbeat.ack")).receivedAt).toMatch(/^\d{4}-/);

    await agent.close();
    await eventually(async () => (await serverRow(server.serverId)).status === ServerStatus.OFFLINE);
    expect(h.connectedAgentIds()).toEqual([]);
    const disconnects = await eventually(async () => {
      const rows = await auditsOf(db.prisma, AuditEventType.AGENT_DISCONNECTED, server.serverId);
      return rows.length > 0 && rows;
    });
    expect(disconnects[0]?.summary).toContain("closed with 1000");
  });

  it("refuses a wrong secret and an unknown agent with 4001, without saying which", async () => {
    const { url } = await hub({ heartbeatIntervalMs: CALM_HEARTBEAT_MS });
    const server = await createEnrolledServer(db.prisma);

    const wrong = await FakeAgent.connect(url);
    wrong.hello(server, { secret: "not-the-secret-at-all" });
    expect(await wrong.closed).toEqual({
      code: CloseCode.unauthorized,
      reason: "unknown agent or wrong secret",
    });
    const unknown = await FakeAgent.connect(url);
    unknown.hello({ serverId: "no-such-server", secret: server.secret });
    expect(await unknown.closed).toEqual({
      code: CloseCode.unauthorized,
      reason: "unknown agent or wrong secret",
    });

    const audits = await eventually(async () => {
      const rows = await db.prisma.auditEvent.findMany({ where: { type: AuditEventType.AGENT_AUTH_FAILED } });
      return rows.length >= 2 && rows;
    });
    expect(audits.find((a) => a.targetId === server.serverId)?.summary).toContain("wrong secret");
    expect(audits.some((a) => a.summary.includes("unknown agent") && a.targetId === null)).toBe(true);
    expect((await serverRow(server.serverId)).status).toBe(ServerStatus.PENDING);
  });

  it("refuses another protocol version with 4002 before looking at the credential", async () => {
    const { url } = await hub({ heartbeatIntervalMs: CALM_HEARTBEAT_MS });
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.connect(url);
    agent.hello(server, { protocolVersion: PROTOCOL_VERSION + 1 });
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCode.protocolVersion);
    expect(closed.reason).toContain(`protocol version ${PROTOCOL_VERSION + 1} not supported`);
    await eventually(async () =>
      db.prisma.auditEvent.findFirst({
        where: { type: AuditEventType.AGENT_PROTOCOL_ERROR, summary: { contains: "not supported" } },
      }),
    );
  });

  it("refuses a revoked server and a revoked credential with 4003", async () => {
    const { url } = await hub({ heartbeatIntervalMs: CALM_HEARTBEAT_MS });
    const revokedServer = await createEnrolledServer(db.prisma);
    await db.prisma.server.update({
      where: { id: revokedServer.serverId },
      data: { status: ServerStatus.REVOKED },
    });
    const revokedCredential = await createEnrolledServer(db.prisma);
    await db.prisma.agentCredential.update({
      where: { serverId: revokedCredential.serverId },
      data: { revokedAt: new Date() },
    });

    for (const server of [revokedServer, revokedCredential]) {
      const agent = await FakeAgent.connect(url);
      agent.hello(server);
      expect(await agent.closed).toEqual({ code: CloseCode.revoked, reason: "agent revoked" });
      const audit = await eventually(
        async () => (await auditsOf(db.prisma, AuditEventType.AGENT_AUTH_FAILED, server.serverId))[0],
      );
      expect(audit.summary).toContain("revoked");
    }
    expect((await serverRow(revokedServer.serverId)).status).toBe(ServerStatus.REVOKED);
  });

  it("closes a socket that never says hello with 4005, and a frame before hello with 4000", async () => {
    const { url } = await hub({ handshakeTimeoutMs: 150, heartbeatIntervalMs: CALM_HEARTBEAT_MS });
    const mute = await FakeAgent.connect(url);
    expect((await mute.closed).code).toBe(CloseCode.handshakeTimeout);

    const eager = await FakeAgent.connect(url);
    eager.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    const closed = await eager.closed;
    expect(closed.code).toBe(CloseCode.badFrame);
    expect(closed.reason).toContain("expected agent.hello");
  });

  it("replaces an older socket of the same agent with 4009 and keeps the server ONLINE", async () => {
    const { url, hub: h } = await hub({ heartbeatIntervalMs: CALM_HEARTBEAT_MS });
    const server = await createEnrolledServer(db.prisma);
    const first = await FakeAgent.session(url, server);
    const second = await FakeAgent.session(url, server);
    expect(await first.closed).toEqual({
      code: CloseCode.replaced,
      reason: "replaced by a newer connection",
    });
    // Give the replaced socket's close handling time to (wrongly) mark the server offline.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await eventually(
      async () =>
        (await auditsOf(db.prisma, AuditEventType.AGENT_DISCONNECTED, server.serverId)).length === 1,
    );
    expect((await serverRow(server.serverId)).status).toBe(ServerStatus.ONLINE);
    expect(h.connectedAgentIds()).toEqual([server.serverId]);
    second.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    await second.next("hub.heartbeat.ack");
    await second.close();
  });
});

describe("heartbeats", () => {
  it("keeps a beating agent online and marks a silent one offline with 4010 after two intervals", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, {}, { isBeating: false });
    const connectedAt = (await serverRow(server.serverId)).lastSeenAt!.getTime();

    // Beating for three intervals keeps it online and moves lastSeenAt (throttled, so not every beat).
    let silentSince = 0;
    for (let i = 0; i < 6; i++) {
      agent.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
      silentSince = Date.now();
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS / 2));
    }
    const beating = await serverRow(server.serverId);
    expect(beating.status).toBe(ServerStatus.ONLINE);
    expect(beating.lastSeenAt!.getTime()).toBeGreaterThan(connectedAt);

    const closed = await agent.closed;
    const silentFor = Date.now() - silentSince;
    expect(closed.code).toBe(CloseCode.heartbeatTimeout);
    expect(silentFor).toBeGreaterThanOrEqual(2 * HEARTBEAT_MS - 20);
    // Two intervals, the sweep granularity (a quarter interval), and slack for a loaded machine.
    expect(silentFor).toBeLessThan(2 * HEARTBEAT_MS + HEARTBEAT_MS / 4 + 500);
    await eventually(async () => (await serverRow(server.serverId)).status === ServerStatus.OFFLINE, 1000);
    const audit = (await auditsOf(db.prisma, AuditEventType.AGENT_DISCONNECTED, server.serverId))[0];
    expect(audit?.summary).toContain("missed heartbeats");
  });

  it("writes lastSeenAt at most once per interval however fast frames arrive", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, {}, { isBeating: false });
    const before = (await serverRow(server.serverId)).lastSeenAt!.getTime();
    for (let i = 0; i < 20; i++) agent.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    for (let i = 0; i < 20; i++) await agent.next("hub.heartbeat.ack");
    expect((await serverRow(server.serverId)).lastSeenAt!.getTime()).toBe(before);
    await agent.close();
  });

  it("marks servers a crashed hub left ONLINE offline when a hub starts", async () => {
    const stale = await createEnrolledServer(db.prisma);
    const fresh = await createEnrolledServer(db.prisma);
    await db.prisma.server.update({
      where: { id: stale.serverId },
      data: { status: ServerStatus.ONLINE, lastSeenAt: new Date(Date.now() - 10 * HEARTBEAT_MS) },
    });
    await db.prisma.server.update({
      where: { id: fresh.serverId },
      data: { status: ServerStatus.ONLINE, lastSeenAt: new Date() },
    });
    await hub();
    expect((await serverRow(stale.serverId)).status).toBe(ServerStatus.OFFLINE);
    expect((await serverRow(fresh.serverId)).status).toBe(ServerStatus.ONLINE);
    expect(await auditsOf(db.prisma, AuditEventType.AGENT_DISCONNECTED, stale.serverId)).toHaveLength(1);
  });

  it("closes agents with 1001, marks them offline and stops its LISTEN connection when the hub closes", async () => {
    const listeners = async () => {
      const [row] = await db.prisma.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND query ILIKE 'LISTEN%'`;
      return row?.n ?? 0;
    };
    const before = await listeners();
    const running = await hub();
    expect(await listeners()).toBe(before + 1);
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(running.url, server);
    await running.stop();
    hubs.splice(hubs.indexOf(running), 1);
    expect((await agent.closed).code).toBe(1001);
    expect((await serverRow(server.serverId)).status).toBe(ServerStatus.OFFLINE);
    await eventually(async () => (await listeners()) === before);
  });
});
