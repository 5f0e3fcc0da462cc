// Reading the audit log (scoped by ../access.ts) and the actor fields every service stamps on its events.
import type { AuditEventType, Db, Prisma } from "@mailwarden/db";
import { scope, assertCan, type Actor } from "../access";

export function auditActor(actor: Actor, ip: string | null) {
  return { actorType: "USER" as const, actorUserId: actor.userId, actorLabel: actor.email, ip };
}

export interface AuditFilter {
  type?: AuditEventType;
  actor?: string;
  tenantId?: string;
  from?: Date;
  to?: Date;
  search?: string;
  cursor?: string;
  limit: number;
}

export async function listAuditEvents(prisma: Db, actor: Actor, filter: AuditFilter) {
  assertCan(actor, "audit.read");
  const where: Prisma.AuditEventWhereInput = {
    AND: [
      scope.audit(actor),
      filter.type ? { type: filter.type } : {},
      filter.actor ? { actorLabel: { contains: filter.actor, mode: "insensitive" } } : {},
      filter.tenantId ? { tenantId: filter.tenantId } : {},
      filter.from || filter.to ? { at: { gte: filter.from, lte: filter.to } } : {},
      filter.search ? { summary: { contains: filter.search, mode: "insensitive" } } : {},
    ],
  };
  const rows = await prisma.auditEvent.findMany({
    where,
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: filter.limit + 1,
    ...(filter.cursor ? { cursor: { id: filter.cursor }, skip: 1 } : {}),
    include: { tenant: { select: { name: true } } },
  });
  const hasMore = rows.length > filter.limit;
  const items = rows.slice(0, filter.limit).map((r) => ({
    id: r.id,
    at: r.at,
    type: r.type,
    actorLabel: r.actorLabel,
    actorType: r.actorType,
    customer: r.tenant?.name ?? null,
    targetType: r.targetType,
    summary: r.summary,
    before: r.before,
    after: r.after,
    ip: r.ip,
  }));
  return { items, nextCursor: hasMore ? (items[items.length - 1]?.id ?? null) : null };
}
