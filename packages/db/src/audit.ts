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

function auditRow(e: AuditEntry): Prisma.AuditEventCreateManyInput {
  return {
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
  };
}

export async function writeAudit(tx: Tx | Db, e: AuditEntry): Promise<{ id: string }> {
  return tx.auditEvent.create({ data: auditRow(e), select: { id: true } });
}

/** Many events in one statement: the hub writes the events of a batch of agents this way. */
export async function writeAudits(tx: Tx | Db, entries: readonly AuditEntry[]): Promise<number> {
  let count = 0;
  // 11 parameters per row: 2,000 rows stay well under Postgres's 65,535 per statement.
  for (let start = 0; start < entries.length; start += 2000) {
    const chunk = entries.slice(start, start + 2000);
    count += (await tx.auditEvent.createMany({ data: chunk.map(auditRow) })).count;
  }
  return count;
}
