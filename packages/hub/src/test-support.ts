// Shared by the hub's integration tests (and, as "@mailwarden/hub/testing", the console's): database
// fixtures, a real http server on port 0 with the hub mounted, and a fake agent that speaks the protocol
// over a real ws client.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import WebSocket from "ws";
import { generateToken, hashToken, type AuditEventType, type Db } from "@mailwarden/db";
import {
  AGENT_PATH,
  PROTOCOL_VERSION,
  encodeFrame,
  type HubMessage,
  type Posture,
} from "@mailwarden/protocol";
import { createHub, type Hub, type HubOptions } from "./hub";

export const silentLogger = pino({ level: process.env.HUB_TEST_LOG ?? "silent" });

/** A small posture report that passes the protocol's schema. */
export const testPosture = {
  agentVersion: "0.1.0-test",
  hostname: "mx1.example.test",
  listeners: [{ name: "submission", port: 587, tls: "starttls", authAdvertisedBeforeTls: false }],
  tlsVersions: ["TLSv1.2", "TLSv1.3"],
  certificate: { subject: "CN=mx1", selfSigned: true, notAfter: "2030-01-01T00:00:00Z", daysLeft: 1000 },
  queueSize: 0,
  memory: { rssBytes: 1, heapUsedBytes: 1 },
  appliedRevision: null,
  uptimeSeconds: 5,
} satisfies Posture;

export interface RunningHub {
  hub: Hub;
  url: string;
  stop(): Promise<void>;
}

export async function startHub(
  options: Pick<HubOptions, "prisma" | "databaseUrl"> & Partial<HubOptions>,
): Promise<RunningHub> {
  const hub = createHub({ logger: silentLogger, ...options });
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on("upgrade", (req, socket, head) => {
    if (hub.isAgentPath(req.url)) hub.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  await hub.ready;
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    url: `ws://127.0.0.1:${port}${AGENT_PATH}`,
    async stop() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function createTenant(prisma: Db): Promise<{ tenantId: string }> {
  const id = unique();
  const tenant = await prisma.tenant.create({ data: { name: `Tenant ${id}`, slug: `tenant-${id}` } });
  return { tenantId: tenant.id };
}

export async function createServer(
  prisma: Db,
  tenantId?: string,
): Promise<{ tenantId: string; serverId: string }> {
  const owner = tenantId ?? (await createTenant(prisma)).tenantId;
  const server = await prisma.server.create({ data: { tenantId: owner, name: `mx-${unique()}` } });
  return { tenantId: owner, serverId: server.id };
}

/** A server as the dashboard leaves it after "add server": a one-time token to give the install script. */
export async function createEnrollmentToken(
  prisma: Db,
  serverId: string,
  expiresAt = new Date(Date.now() + 24 * 3600_000),
): Promise<string> {
  const token = generateToken();
  await prisma.enrollmentToken.create({ data: { serverId, tokenHash: hashToken(token), expiresAt } });
  return token;
}

export interface EnrolledServer {
  tenantId: string;
  serverId: string;
  secret: string;
}

/** A server whose agent already enrolled (credential written directly, as enrollment would). */
export async function createEnrolledServer(prisma: Db, tenantId?: string): Promise<EnrolledServer> {
  const server = await createServer(prisma, tenantId);
  const secret = generateToken();
  await prisma.agentCredential.create({ data: { serverId: server.serverId, secretHash: hashToken(secret) } });
  return { ...server, secret };
}

export interface Closed {
  code: number;
  reason: string;
}

/** A minimal agent: records what the hub sends and lets a test wait for one message type or the close. */
export class FakeAgent {
  readonly received: HubMessage[] = [];
  readonly closed: Promise<Closed>;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.received.push(JSON.parse(data.toString()) as HubMessage);
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on("error", () => undefined);
  }

  static async connect(url: string): Promise<FakeAgent> {
    const ws = new WebSocket(url);
    const agent = new FakeAgent(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return agent;
  }

  send(message: object): void {
    this.ws.send(encodeFrame(message as { type: string }));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  hello(server: Pick<EnrolledServer, "serverId" | "secret">, overrides: Record<string, unknown> = {}): void {
    this.send({
      type: "agent.hello",
      protocolVersion: PROTOCOL_VERSION,
      agentId: server.serverId,
      secret: server.secret,
      hostname: "mx1.example.test",
      agentVersion: "0.1.0-test",
      appliedRevision: null,
      ...overrides,
    });
  }

  /** The first received message of `type` not yet taken, waiting for it if needed. */
  async next<T extends HubMessage["type"]>(
    type: T,
    timeoutMs = 5000,
  ): Promise<Extract<HubMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m) => m.type === type);
      if (index >= 0) return this.received.splice(index, 1)[0] as Extract<HubMessage, { type: T }>;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${type} within ${timeoutMs} ms (got ${this.received.map((m) => m.type)})`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Connects, says hello, waits for the welcome, then beats like a real agent unless told not to. */
  static async session(
    url: string,
    server: Pick<EnrolledServer, "serverId" | "secret">,
    overrides: Record<string, unknown> = {},
    { isBeating = true } = {},
  ): Promise<FakeAgent> {
    const agent = await FakeAgent.connect(url);
    agent.hello(server, overrides);
    const welcome = await agent.next("hub.welcome");
    if (isBeating) agent.startBeating(welcome.heartbeatIntervalMs);
    return agent;
  }

  /** Sends agent.heartbeat every `intervalMs` until the socket closes. */
  startBeating(intervalMs: number): void {
    const timer = setInterval(() => {
      if (this.ws.readyState === WebSocket.OPEN)
        this.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    }, intervalMs);
    void this.closed.then(() => clearInterval(timer));
  }

  /** What the hub sent of one type, acks and all, without taking it. */
  sent<T extends HubMessage["type"]>(type: T): Array<Extract<HubMessage, { type: T }>> {
    return this.received.filter((m): m is Extract<HubMessage, { type: T }> => m.type === type);
  }

  async close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
    return this.closed;
  }
}

/** Polls until `check` returns a truthy value (database state written asynchronously by the hub). */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function auditsOf(prisma: Db, type: AuditEventType, targetId?: string) {
  return prisma.auditEvent.findMany({ where: { type, targetId }, orderBy: { at: "asc" } });
}
