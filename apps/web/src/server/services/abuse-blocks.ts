// Row 21 in the console: a server's abuse blocks (who, which rule, why, since, until), lifting one, and
// the alert for users suspended by the internal-spammer rule. The listing and the lift go to the agent as
// commands through the database, like the mail queue's (./queue.ts); a lift and its audit event are
// written in one transaction. The alert reads the agents' postures and shows a suspension to whoever may
// read the user's domain — that decision, like every tenant decision, is ../access.ts's.
import { AuditEventType, type Db } from "@mailwarden/db";
import {
  abuseBlocksOf,
  abuseListResultSchema,
  abuseLiftResultSchema,
  abuseRuleLabels,
  type AbuseBlockReport,
  type AbuseLiftResult,
} from "@mailwarden/protocol";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { actOnAgent, readFromAgent, type NoAnswer, type WaitOptions } from "./agent-commands";

export type ServerAbuseBlocks = { status: "ok"; blocks: AbuseBlockReport[] } | NoAnswer;
export type AbuseLiftOutcome = { status: "ok"; result: AbuseLiftResult } | NoAnswer;

export interface SuspendedSender {
  address: string;
  reason: string;
  since: string;
  /** The server holding the user's mail, when the reader may see that server. */
  server: { id: string; name: string } | null;
}

export async function getServerAbuseBlocks(
  prisma: Db,
  actor: Actor,
  serverId: string,
  opts: WaitOptions = {},
): Promise<ServerAbuseBlocks> {
  const answer = await readFromAgent(
    prisma,
    actor,
    serverId,
    { type: "abuse.list" },
    abuseListResultSchema,
    opts,
  );
  return answer.status === "ok" ? { status: "ok", blocks: answer.data.blocks } : answer;
}

export async function liftAbuseBlock(
  prisma: Db,
  actor: Actor,
  input: { serverId: string; blockId: string },
  ip: string | null,
  opts: WaitOptions = {},
): Promise<AbuseLiftOutcome> {
  assertCan(actor, "server.write");
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: input.serverId }, scope.server(actor, "server.write")] },
    select: { id: true, tenantId: true, name: true, status: true, posture: true },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  // What the block was, for the audit trail, as the agent last reported it.
  const known = abuseBlocksOf(server.posture).find((block) => block.id === input.blockId);
  const answer = await actOnAgent(
    prisma,
    actor,
    {
      server,
      command: { type: "abuse.lift", ids: [input.blockId] },
      audit: {
        type: AuditEventType.ABUSE_BLOCK_LIFTED,
        summary: known
          ? `Lifted the ${abuseRuleLabels[known.rule] ?? known.rule} ${known.kind === "user" ? "suspension of" : "block on"} ${known.subject} on ${server.name}`
          : `Lifted abuse block ${input.blockId} on ${server.name}`,
        before: known ? { block: known } : undefined,
        after: { blockId: input.blockId },
      },
      schema: abuseLiftResultSchema,
    },
    ip,
    opts,
  );
  return answer.status === "ok" ? { status: "ok", result: answer.data } : answer;
}

/** Users whose sending is suspended, as the agents last reported, in domains the actor may read. */
export async function listSuspendedSenders(prisma: Db, actor: Actor): Promise<SuspendedSender[]> {
  // Every server whose posture holds a suspension (jsonb containment, so the overview's refresh reads
  // only those): a customer's mail may be served by a server of the provider's.
  const servers = await prisma.server.findMany({
    where: {
      revokedAt: null,
      posture: { path: ["abuseBlocks"], array_contains: [{ action: "suspend" }] },
    },
    select: { id: true, name: true, posture: true },
  });
  const suspensions = servers.flatMap((server) =>
    abuseBlocksOf(server.posture)
      .filter((block) => block.action === "suspend")
      .map((block) => ({ server, block, domain: domainOf(block.subject) })),
  );
  if (suspensions.length === 0) return [];
  const [domains, visibleServers] = await Promise.all([
    prisma.domain.findMany({
      where: {
        AND: [
          { name: { in: [...new Set(suspensions.map((s) => s.domain))] } },
          scope.domain(actor, "domain.read"),
        ],
      },
      select: { name: true },
    }),
    prisma.server.findMany({
      where: {
        AND: [{ id: { in: suspensions.map((s) => s.server.id) } }, scope.server(actor, "server.read")],
      },
      select: { id: true },
    }),
  ]);
  const readable = new Set(domains.map((domain) => domain.name));
  const seenServers = new Set(visibleServers.map((server) => server.id));
  return suspensions
    .filter((suspension) => readable.has(suspension.domain))
    .map(({ server, block }) => ({
      address: block.subject,
      reason: block.reason,
      since: block.since,
      server: seenServers.has(server.id) ? { id: server.id, name: server.name } : null,
    }))
    .sort((a, b) => b.since.localeCompare(a.since));
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}
