// The overview page's numbers: what the actor can see, counted; the servers that need a look (offline,
// or not yet running the configuration the console wants) by name.
import type { Db, Prisma } from "@mailwarden/db";
import { can, scope, type Actor } from "../access";
import { listSuspendedSenders } from "./abuse-blocks";
import { listPausedListMembers } from "./mailing-lists";

/** How many servers the overview names; the rest are on the Servers page. */
const NAMED_SERVERS = 10;

/**
 * The fleet's configuration in one state: every connected server applied it, some are still applying
 * it, or an agent refused it (with its reason). Compares revisions in the database, so it costs the
 * same for ten servers or ten thousand.
 */
async function configurationState(prisma: Db, actor: Actor) {
  const connected: Prisma.ServerWhereInput = {
    AND: [scope.server(actor, "server.read"), { status: { in: ["ONLINE", "OFFLINE"] } }],
  };
  const behind: Prisma.ServerWhereInput = {
    OR: [{ appliedRevision: null }, { appliedRevision: { lt: prisma.server.fields.desiredRevision } }],
  };
  const [applying, rejected] = await Promise.all([
    prisma.server.count({ where: { AND: [connected, behind] } }),
    prisma.server.findMany({
      where: {
        AND: [
          connected,
          behind,
          { lastRejectedRevision: { equals: prisma.server.fields.desiredRevision } },
          { lastRejectReason: { not: null } },
        ],
      },
      orderBy: { name: "asc" },
      take: NAMED_SERVERS,
      select: { id: true, name: true, lastRejectReason: true },
    }),
  ]);
  return {
    applying: applying - rejected.length,
    rejected: rejected.map((r) => ({ id: r.id, name: r.name, reason: r.lastRejectReason ?? "" })),
  };
}

export async function getOverview(prisma: Db, actor: Actor) {
  const canReadServers = can(actor, "server.read");
  const [
    customers,
    domains,
    mailboxes,
    servers,
    recent,
    suspendedSenders,
    pausedListMembers,
    offlineServers,
    configuration,
  ] = await Promise.all([
    can(actor, "customer.read") ? prisma.tenant.count({ where: scope.tenant(actor, "customer.read") }) : 0,
    prisma.domain.count({ where: scope.domain(actor, "domain.read") }),
    prisma.mailbox.count({ where: scope.mailbox(actor, "mailbox.read") }),
    canReadServers
      ? prisma.server.groupBy({ by: ["status"], where: scope.server(actor, "server.read"), _count: true })
      : [],
    can(actor, "audit.read")
      ? prisma.auditEvent.findMany({ where: scope.audit(actor), orderBy: { at: "desc" }, take: 8 })
      : [],
    // Row 21: users of the actor's domains whose sending the internal-spammer rule suspended.
    listSuspendedSenders(prisma, actor),
    // Row 22: members of the actor's mailing lists that the agents paused after bounces.
    listPausedListMembers(prisma, actor),
    canReadServers
      ? prisma.server.findMany({
          where: { AND: [scope.server(actor, "server.read"), { status: "OFFLINE" }] },
          orderBy: [{ lastSeenAt: "asc" }, { name: "asc" }],
          take: NAMED_SERVERS,
          select: { id: true, name: true, lastSeenAt: true, tenant: { select: { name: true } } },
        })
      : [],
    canReadServers ? configurationState(prisma, actor) : { applying: 0, rejected: [] },
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
      offlineNamed: offlineServers.map((s) => ({
        id: s.id,
        name: s.name,
        customer: s.tenant.name,
        lastSeenAt: s.lastSeenAt,
      })),
      configuration,
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
