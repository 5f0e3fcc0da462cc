// The overview page's numbers: what the actor can see, counted.
import type { Db } from "@mailwarden/db";
import { can, scope, type Actor } from "../access";
import { listSuspendedSenders } from "./abuse-blocks";
import { listPausedListMembers } from "./mailing-lists";

export async function getOverview(prisma: Db, actor: Actor) {
  const [customers, domains, mailboxes, servers, recent, suspendedSenders, pausedListMembers] =
    await Promise.all([
      can(actor, "customer.read") ? prisma.tenant.count({ where: scope.tenant(actor, "customer.read") }) : 0,
      prisma.domain.count({ where: scope.domain(actor, "domain.read") }),
      prisma.mailbox.count({ where: scope.mailbox(actor, "mailbox.read") }),
      can(actor, "server.read")
        ? prisma.server.groupBy({ by: ["status"], where: scope.server(actor, "server.read"), _count: true })
        : [],
      can(actor, "audit.read")
        ? prisma.auditEvent.findMany({ where: scope.audit(actor), orderBy: { at: "desc" }, take: 8 })
        : [],
      // Row 21: users of the actor's domains whose sending the internal-spammer rule suspended.
      listSuspendedSenders(prisma, actor),
      // Row 22: members of the actor's mailing lists that the agents paused after bounces.
      listPausedListMembers(prisma, actor),
    ]);
  const byStatus = Object.fromEntries(servers.map((s) => [s.status, s._count])) as Record<string, number>;
  return {
    customers,
    domains,
    mailboxes,
    servers: {
      online: byStatus.ONLINE ?? 0,
      offline: byStatus.OFFLINE ?? 0,
      pending: byStatus.PENDING ?? 0,
      total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    },
    suspendedSenders,
    pausedListMembers,
    recentEvents: recent.map((e) => ({
      id: e.id,
      at: e.at,
      summary: e.summary,
      actorLabel: e.actorLabel,
      type: e.type,
    })),
  };
}
