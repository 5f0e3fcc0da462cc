// Row 21 in the console: a server's abuse blocks (who, which rule, why, since, until), lifting one, and
// the alert for users suspended by the internal-spammer rule. The listing and the lift go to the agent as
// commands through the database, like the mail queue's (./queue.ts); a lift and its audit event are
// written in one transaction. The alert reads the agents' postures and shows a suspension to whoever may
// read the user's domain — that decision, like every tenant decision, is ../access.ts's.
import { AuditEventType, ServerStatus, issueAgentCommand, writeAudit, type Db } from "@mailwarden/db";
import {
  abuseBlocksOf,
  abuseListResultSchema,
  abuseLiftResultSchema,
  abuseRuleLabels,
  type AbuseBlockReport,
  type AbuseLiftResult,
  type HubCommand,
} from "@mailwarden/protocol";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";
import { askAgent, awaitAnswer, QUEUE_ANSWER_WAIT_MS, type NoAnswer, type WaitOptions } from "./queue";

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
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: serverId }, scope.server(actor, "server.read")] },
    select: { id: true, tenantId: true, status: true },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  if (server.status !== ServerStatus.ONLINE) return { status: "offline" };
  const answer = await askAgent(prisma, actor, server, { type: "abuse.list" }, opts);
  if (answer.status !== "done") return answer;
  const listing = abuseListResultSchema.safeParse(answer.result);
  if (!listing.success) return { status: "failed", error: "The agent's answer could not be read." };
  return { status: "ok", blocks: listing.data.blocks };
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
  if (server.status !== ServerStatus.ONLINE) return { status: "offline" };
  // What the block was, for the audit trail, as the agent last reported it.
  const known = abuseBlocksOf(server.posture).find((block) => block.id === input.blockId);
  const command: HubCommand = { type: "abuse.lift", ids: [input.blockId] };
  const { id } = await prisma.$transaction(async (tx) => {
    const issued = await issueAgentCommand(tx, {
      serverId: server.id,
      tenantId: server.tenantId,
      type: command.type,
      payload: command,
      createdById: actor.userId,
    });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: AuditEventType.ABUSE_BLOCK_LIFTED,
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: known
        ? `Lifted the ${abuseRuleLabels[known.rule] ?? known.rule} ${known.kind === "user" ? "suspension of" : "block on"} ${known.subject} on ${server.name}`
        : `Lifted abuse block ${input.blockId} on ${server.name}`,
      before: known ? { block: known } : undefined,
      after: { blockId: input.blockId, commandId: issued.id },
    });
    return issued;
  });
  const answer = await awaitAnswer(prisma, id, opts.waitMs ?? QUEUE_ANSWER_WAIT_MS);
  if (answer.status !== "done") return answer;
  const result = abuseLiftResultSchema.safeParse(answer.result);
  if (!result.success) return { status: "failed", error: "The agent's answer could not be read." };
  return { status: "ok", result: result.data };
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
