// Whatever a peer sends, the hub answers with a close code and keeps serving everyone else.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditEventType } from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import { CloseCode, MAX_FRAME_BYTES, PROTOCOL_VERSION } from "@mailwarden/protocol";
import { FakeAgent, createEnrolledServer, eventually, startHub, type RunningHub } from "./test-support";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let running: RunningHub;

beforeAll(async () => {
  db = await createTestDatabase();
  running = await startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
});
afterAll(async () => {
  await running?.stop();
  await db?.stop();
});

async function sendAndClose(send: (agent: FakeAgent) => void, url = running.url) {
  const agent = await FakeAgent.connect(url);
  send(agent);
  return agent.closed;
}

const protocolErrors = () =>
  db.prisma.auditEvent.findMany({
    where: { type: AuditEventType.AGENT_PROTOCOL_ERROR },
    orderBy: { at: "asc" },
  });

describe("hostile and broken peers", () => {
  it("closes each kind of bad frame with the right code, audits it once, and still serves a good agent", async () => {
    const cases: Array<[string, (a: FakeAgent) => void, number, string]> = [
      ["not JSON", (a) => a.sendRaw("{nope"), CloseCode.badFrame, "frame is not valid JSON"],
      ["binary", (a) => a.sendRaw(Buffer.from([0, 1, 2, 3]), true), CloseCode.badFrame, "frame is not text"],
      ["unknown type", (a) => a.send({ type: "agent.selfdestruct" }), CloseCode.badFrame, "invalid message"],
      ["JSON array", (a) => a.sendRaw("[1,2,3]"), CloseCode.badFrame, "invalid message"],
      ["null", (a) => a.sendRaw("null"), CloseCode.badFrame, "invalid message"],
      [
        "hello missing fields",
        (a) => a.send({ type: "agent.hello", protocolVersion: PROTOCOL_VERSION }),
        CloseCode.badFrame,
        "invalid message",
      ],
      ["oversized", (a) => a.sendRaw("x".repeat(MAX_FRAME_BYTES + 1)), CloseCode.tooBig, ""],
      [
        "wrong version",
        (a) =>
          a.send({
            type: "agent.hello",
            protocolVersion: 999,
            agentId: "whoever",
            secret: "s".repeat(32),
            hostname: "h",
            agentVersion: "v",
            appliedRevision: null,
          }),
        CloseCode.protocolVersion,
        "protocol version 999 not supported",
      ],
      [
        "burst of garbage",
        (a) => {
          for (let i = 0; i < 50; i++) a.sendRaw(`garbage ${i}`);
        },
        CloseCode.badFrame,
        "frame is not valid JSON",
      ],
    ];
    const before = (await protocolErrors()).length;
    for (const [name, send, code, reason] of cases) {
      const closed = await sendAndClose(send);
      expect({ name, code: closed.code }).toEqual({ name, code });
      expect(closed.reason, name).toContain(reason);
    }
    // One audit row per refused connection, even for the burst, each saying why.
    const audits = await eventually(async () => {
      const rows = await protocolErrors();
      return rows.length >= before + cases.length && rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await protocolErrors()).toHaveLength(before + cases.length);
    const summaries = audits.slice(before).map((a) => a.summary);
    expect(summaries.some((s) => s.includes("frame too large"))).toBe(true);
    expect(summaries.some((s) => s.includes("frame is not text"))).toBe(true);

    // Broken HTTP and a socket that connects and vanishes do not hurt either.
    await new Promise<void>((resolve) => {
      const raw = net.connect(Number(new URL(running.url).port), "127.0.0.1", () => {
        raw.write("GET /agent HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      });
      raw.on("data", () => raw.destroy());
      raw.on("close", () => resolve());
      raw.on("error", () => resolve());
    });
    const vanishing = await FakeAgent.connect(running.url);
    vanishing.ws.terminate();

    const server = await createEnrolledServer(db.prisma);
    const good = await FakeAgent.session(running.url, server);
    good.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
    await good.next("hub.heartbeat.ack");
    await good.close();
  });

  it("closes an authenticated agent that sends a bad frame, and audits it against its server", async () => {
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(running.url, server, { appliedRevision: 1 });
    agent.send({ type: "agent.config.applied", revision: "two" });
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCode.badFrame);
    expect(closed.reason).toContain("revision");
    const audit = await eventually(async () =>
      db.prisma.auditEvent.findFirst({
        where: { type: AuditEventType.AGENT_PROTOCOL_ERROR, targetId: server.serverId },
      }),
    );
    expect(audit.tenantId).toBe(server.tenantId);
  });

  it("stops auditing refusals from one address after the per-minute cap", async () => {
    const capped = await startHub({
      prisma: db.prisma,
      databaseUrl: db.url,
      heartbeatIntervalMs: 1000,
      refusalAuditsPerMinute: 2,
    });
    try {
      const before = (await protocolErrors()).length;
      for (let i = 0; i < 5; i++) await sendAndClose((a) => a.sendRaw("{"), capped.url);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await protocolErrors()).toHaveLength(before + 2);
    } finally {
      await capped.stop();
    }
  });
});
