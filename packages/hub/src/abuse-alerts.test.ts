// Row 21's alert as the console sees it: an agent reports a user suspended by the internal-spammer rule
// in its posture, and the hub writes one audit event in the tenant that owns the user's domain — once
// per suspension, however often the posture repeats it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuditEventType } from "@mailwarden/db";
import { createTestDatabase } from "@mailwarden/db/testing";
import type { AbuseBlockReport, Posture } from "@mailwarden/protocol";
import {
  FakeAgent,
  auditsOf,
  createEnrolledServer,
  createTenant,
  eventually,
  startHub,
} from "./test-support";

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});

const posture = (abuseBlocks: AbuseBlockReport[]): Posture => ({
  agentVersion: "0.1.0-test",
  hostname: "mx1.example.test",
  listeners: [],
  tlsVersions: ["TLSv1.2", "TLSv1.3"],
  certificate: { subject: "CN=mx1", selfSigned: true, notAfter: "2030-01-01T00:00:00Z", daysLeft: 1000 },
  queueSize: 1,
  memory: { rssBytes: 1, heapUsedBytes: 1 },
  appliedRevision: 1,
  uptimeSeconds: 5,
  abuseBlocks,
});

const suspension = (id: string, subject: string): AbuseBlockReport => ({
  id,
  kind: "user",
  subject,
  rule: "ids.internal-spammer",
  action: "suspend",
  reason: "50 messages within 10 min",
  since: "2026-11-23T01:00:00.000Z",
  until: null,
});

it("audits a new suspension once, in the tenant of the user's domain", async () => {
  const running = await startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
  try {
    const provider = await createTenant(db.prisma);
    const customer = await createTenant(db.prisma);
    const domain = `shop-${customer.tenantId.slice(-8)}.test`;
    await db.prisma.domain.create({ data: { tenantId: customer.tenantId, name: domain } });
    const server = await createEnrolledServer(db.prisma, provider.tenantId);
    const agent = await FakeAgent.session(running.url, server, { appliedRevision: 1 });
    const ipBlock: AbuseBlockReport = {
      ...suspension("00000000000000aa", "192.0.2.7"),
      kind: "ip",
      rule: "ids.brute-force",
      action: "block",
      until: "2026-11-23T02:00:00.000Z",
    };
    const carol = suspension("00000000000000bb", `carol@${domain}`);

    agent.send({ type: "agent.posture", posture: posture([ipBlock, carol]) });
    const events = await eventually(async () => {
      const found = await auditsOf(db.prisma, AuditEventType.ABUSE_SENDING_SUSPENDED, server.serverId);
      return found.length > 0 && found;
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tenantId: customer.tenantId, actorType: "AGENT" });
    expect(events[0]!.summary).toBe(
      `Sending suspended for carol@${domain} (50 messages within 10 min); their queued mail is held until an administrator lifts it`,
    );

    // The same suspension again, then a second one: one more event only.
    agent.send({ type: "agent.posture", posture: posture([carol]) });
    agent.send({
      type: "agent.posture",
      posture: posture([carol, suspension("00000000000000cc", `dan@${domain}`)]),
    });
    await eventually(async () => {
      const found = await auditsOf(db.prisma, AuditEventType.ABUSE_SENDING_SUSPENDED, server.serverId);
      return found.length === 2;
    });
    await agent.close();
  } finally {
    await running.stop();
  }
});
