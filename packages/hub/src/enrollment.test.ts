// Enrollment as an install script does it: a one-time token in, a secret out, and every way a token can
// be bad (replayed, expired, unknown, raced, revoked server) refused with 4004/4003 and audited.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuditEventType, hashToken } from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import { CloseCode, PROTOCOL_VERSION } from "@mailwarden/protocol";
import {
  FakeAgent,
  auditsOf,
  createEnrollmentToken,
  createServer,
  eventually,
  startHub,
  type RunningHub,
} from "./test-support";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let running: RunningHub;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});
beforeEach(async () => {
  running = await startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 500 });
});
afterEach(async () => {
  await running.stop();
});

async function enroll(token: string, overrides: Record<string, unknown> = {}) {
  const agent = await FakeAgent.connect(running.url);
  agent.send({
    type: "agent.enroll",
    protocolVersion: PROTOCOL_VERSION,
    token,
    hostname: "mx1.customer.test",
    agentVersion: "0.1.0-test",
    ...overrides,
  });
  return agent;
}

describe("enrollment", () => {
  it("redeems a token for a secret, stores only its hash, and the secret then opens a session", async () => {
    const { serverId } = await createServer(db.prisma);
    const token = await createEnrollmentToken(db.prisma, serverId);

    const agent = await enroll(token);
    const enrolled = await agent.next("hub.enrolled");
    expect(enrolled.agentId).toBe(serverId);
    expect(enrolled.secret.length).toBeGreaterThanOrEqual(16);
    expect(await agent.closed).toEqual({ code: 1000, reason: "enrolled" });

    const server = await db.prisma.server.findUniqueOrThrow({
      where: { id: serverId },
      include: { credential: true },
    });
    expect(server.hostname).toBe("mx1.customer.test");
    expect(server.agentVersion).toBe("0.1.0-test");
    expect(server.credential?.secretHash).toBe(hashToken(enrolled.secret));
    expect(JSON.stringify(server)).not.toContain(enrolled.secret);
    const tokenRow = await db.prisma.enrollmentToken.findUniqueOrThrow({
      where: { tokenHash: hashToken(token) },
    });
    expect(tokenRow.usedAt).not.toBeNull();
    expect(await auditsOf(db.prisma, AuditEventType.AGENT_ENROLLED, serverId)).toHaveLength(1);

    const session = await FakeAgent.session(running.url, { serverId, secret: enrolled.secret });
    expect(running.hub.connectedAgentIds()).toEqual([serverId]);
    await session.close();
  });

  it("refuses a replayed token with 4004 and audits it", async () => {
    const { serverId } = await createServer(db.prisma);
    const token = await createEnrollmentToken(db.prisma, serverId);
    const first = await enroll(token);
    const { secret } = await first.next("hub.enrolled");
    await first.closed;

    const replay = await enroll(token, { hostname: "attacker.test" });
    expect(await replay.closed).toEqual({
      code: CloseCode.tokenInvalid,
      reason: "enrollment token already used",
    });
    expect(replay.received).toEqual([]);

    // The first agent's secret still works and the server was not re-labelled by the replay.
    const server = await db.prisma.server.findUniqueOrThrow({
      where: { id: serverId },
      include: { credential: true },
    });
    expect(server.credential?.secretHash).toBe(hashToken(secret));
    expect(server.hostname).toBe("mx1.customer.test");
    const failures = await eventually(async () => {
      const rows = await auditsOf(db.prisma, AuditEventType.AGENT_ENROLL_FAILED, serverId);
      return rows.length > 0 && rows;
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]?.summary).toContain("already used");
  });

  it("refuses an expired token and an unknown one with 4004", async () => {
    const { serverId } = await createServer(db.prisma);
    const expired = await createEnrollmentToken(db.prisma, serverId, new Date(Date.now() - 1000));

    const late = await enroll(expired);
    expect(await late.closed).toEqual({ code: CloseCode.tokenInvalid, reason: "enrollment token expired" });
    const unknown = await enroll("x".repeat(43));
    expect(await unknown.closed).toEqual({
      code: CloseCode.tokenInvalid,
      reason: "unknown enrollment token",
    });

    expect(await db.prisma.agentCredential.findUnique({ where: { serverId } })).toBeNull();
    await eventually(
      async () => (await auditsOf(db.prisma, AuditEventType.AGENT_ENROLL_FAILED, serverId)).length === 1,
    );
    const unknownAudit = await eventually(async () =>
      db.prisma.auditEvent.findFirst({
        where: {
          type: AuditEventType.AGENT_ENROLL_FAILED,
          summary: { contains: "unknown enrollment token" },
        },
      }),
    );
    expect(unknownAudit.ip).toMatch(/127\.0\.0\.1/);
  });

  it("lets only one of two simultaneous redemptions of the same token win", async () => {
    const { serverId } = await createServer(db.prisma);
    const token = await createEnrollmentToken(db.prisma, serverId);
    const [a, b] = await Promise.all([enroll(token), enroll(token)]);
    const codes = (await Promise.all([a.closed, b.closed])).map((c) => c.code).sort();
    expect(codes).toEqual([1000, CloseCode.tokenInvalid]);
  });

  it("refuses enrollment for a revoked server and in another protocol version", async () => {
    const { serverId } = await createServer(db.prisma);
    const token = await createEnrollmentToken(db.prisma, serverId);
    const wrongVersion = await enroll(token, { protocolVersion: PROTOCOL_VERSION + 1 });
    expect((await wrongVersion.closed).code).toBe(CloseCode.protocolVersion);

    await db.prisma.server.update({ where: { id: serverId }, data: { status: "REVOKED" } });
    const revoked = await enroll(token);
    expect(await revoked.closed).toEqual({ code: CloseCode.revoked, reason: "server revoked" });
    const tokenRow = await db.prisma.enrollmentToken.findUniqueOrThrow({
      where: { tokenHash: hashToken(token) },
    });
    expect(tokenRow.usedAt).toBeNull();
  });
});
