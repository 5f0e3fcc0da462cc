// Every change to policy, users, keys or agents leaves an audit event (DESIGN.md). Callers write it in
// the same transaction as the change, so there is never a change without its event or the reverse.
import type { Db, Tx } from "./client";
import { Prisma } from "./generated/prisma/client";
import type { ActorType, AuditEventType } from "./generated/prisma/enums";

export interface AuditEntry {
  type: AuditEventType;
  actorType: ActorType;
  actorUserId?: string | null;
  /** Who acted, as shown in the log even after the user is deleted (an email, "agent mx1", "system"). */
  actorLabel: string;
  tenantId?: string | null;
  targetType?: string;
  targetId?: string;
  summary: string;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
}

/** Turns any value into something a Json column accepts (Dates become ISO strings, undefined is dropped). */
function toJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null) return Prisma.DbNull;
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ) as Prisma.InputJsonValue;
}

export async function writeAudit(tx: Tx | Db, e: AuditEntry): Promise<{ id: string }> {
  return tx.auditEvent.create({
    data: {
      type: e.type,
      actorType: e.actorType,
      actorUserId: e.actorUserId ?? null,
      actorLabel: e.actorLabel,
      tenantId: e.tenantId ?? null,
      targetType: e.targetType ?? null,
      targetId: e.targetId ?? null,
      summary: e.summary,
      before: toJson(e.before),
      after: toJson(e.after),
      ip: e.ip ?? null,
    },
    select: { id: true },
  });
}
