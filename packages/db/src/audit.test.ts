// An audit event belongs to its change: it commits and rolls back with it, and keeps before/after as JSON.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAudit } from "./audit";
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
});
