// An audit event belongs to its change: it commits and rolls back with it, and keeps before/after as JSON.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAudit, writeAudits, type AuditEntry } from "./audit";
import { createTestDatabase, type TestDatabase } from "./testing";

describe("writeAudit", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.stop();
  });

  it("stores the event with JSON before/after, only if the transaction commits", async () => {
    const tenant = await db.prisma.tenant.create({ data: { name: "Acme", slug: "acme" } });
    await expect(
      db.prisma.$transaction(async (tx) => {
        await writeAudit(tx, {
          type: "CUSTOMER_UPDATED",
          actorType: "SYSTEM",
          actorLabel: "system",
          tenantId: tenant.id,
          summary: "rolled back",
        });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await db.prisma.auditEvent.count()).toBe(0);

    const at = new Date("2026-01-02T03:04:05Z");
    const { id } = await db.prisma.$transaction((tx) =>
      writeAudit(tx, {
        type: "POLICY_CHANGED",
        actorType: "USER",
        actorLabel: "admin@example.test",
        tenantId: tenant.id,
        targetType: "tenant",
        targetId: tenant.id,
        summary: "Require SMTP auth",
        before: { requireSmtpAuth: false },
        after: { requireSmtpAuth: true, at, big: 10n },
        ip: "192.0.2.1",
      }),
    );
    const event = await db.prisma.auditEvent.findUniqueOrThrow({ where: { id } });
    expect(event).toMatchObject({
      type: "POLICY_CHANGED",
      actorUserId: null,
      before: { requireSmtpAuth: false },
      after: { requireSmtpAuth: true, at: at.toISOString(), big: "10" },
      ip: "192.0.2.1",
    });
  });

  it("writes a batch in one statement, each event stored as writeAudit stores it", async () => {
    const tenant = await db.prisma.tenant.create({ data: { name: "Batch", slug: "batch" } });
    const entry = (n: number): AuditEntry => ({
      type: "AGENT_CONNECTED",
      actorType: "AGENT",
      actorLabel: `agent mx${n} (127.0.0.1)`,
      tenantId: tenant.id,
      targetType: "Server",
      targetId: `server-${n}`,
      summary: `Agent connected (${n})`,
      after: { hostname: `mx${n}.test`, at: new Date("2026-12-07T10:00:00Z"), appliedRevision: n },
      ip: "127.0.0.1",
    });
    await writeAudit(db.prisma, entry(0));
    expect(
      await writeAudits(
        db.prisma,
        Array.from({ length: 2500 }, (_, i) => entry(i + 1)),
      ),
    ).toBe(2500);
    expect(await writeAudits(db.prisma, [])).toBe(0);
    const stored = await db.prisma.auditEvent.findMany({
      where: { targetId: { in: ["server-0", "server-1"] } },
      orderBy: { targetId: "asc" },
    });
    const comparable = ({ id: _id, at: _at, ...rest }: (typeof stored)[number]) => rest;
    expect(comparable(stored[1]!)).toEqual({
      ...comparable(stored[0]!),
      actorLabel: "agent mx1 (127.0.0.1)",
      targetId: "server-1",
      summary: "Agent connected (1)",
      after: { hostname: "mx1.test", at: "2026-12-07T10:00:00.000Z", appliedRevision: 1 },
    });
    expect(stored[1]!.before).toBeNull();
    expect(await db.prisma.auditEvent.count({ where: { tenantId: tenant.id } })).toBe(2501);
  });
});
