// A server's mail queue, seen and acted on from the dashboard, through agent commands (./agent-commands:
// offline agents are not asked, unanswered commands are withdrawn, every action is audited).
import type { AuditEventType, Db } from "@mailwarden/db";
import {
  MAX_COMMAND_IDS,
  queueActionResultSchema,
  queueListResultSchema,
  queueResetResultSchema,
  type HubCommand,
  type QueueActionResult,
  type QueueListResult,
  type QueueResetResult,
} from "@mailwarden/protocol";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { actOnAgent, readFromAgent, type NoAnswer, type WaitOptions } from "./agent-commands";

export const queueActions = ["retry", "resetRetries", "delete", "bounce"] as const;
export type QueueAction = (typeof queueActions)[number];

export type ServerQueue = ({ status: "ok" } & QueueListResult) | NoAnswer;
export type QueueActionOutcome =
  { status: "ok"; action: QueueAction; result: QueueActionResult | QueueResetResult } | NoAnswer;

const actionCommand: Record<QueueAction, HubCommand["type"]> = {
  retry: "queue.retry",
  resetRetries: "queue.resetRetries",
  delete: "queue.delete",
  bounce: "queue.bounce",
};

const actionAudit: Record<QueueAction, AuditEventType> = {
  retry: "QUEUE_RETRIED",
  resetRetries: "QUEUE_RETRIES_RESET",
  delete: "QUEUE_MESSAGE_DELETED",
  bounce: "QUEUE_MESSAGE_BOUNCED",
};

const actionWords: Record<QueueAction, string> = {
  retry: "Retry now",
  resetRetries: "Reset retry counts",
  delete: "Delete",
  bounce: "Bounce",
};

export async function getServerQueue(
  prisma: Db,
  actor: Actor,
  serverId: string,
  opts: WaitOptions = {},
): Promise<ServerQueue> {
  const answer = await readFromAgent(
    prisma,
    actor,
    serverId,
    { type: "queue.list" },
    queueListResultSchema,
    opts,
  );
  return answer.status === "ok" ? { status: "ok", ...answer.data } : answer;
}

export interface QueueActionInput {
  serverId: string;
  action: QueueAction;
  /** The queue message ids; ignored by resetRetries, which applies to every message. */
  ids?: string[];
}

export async function queueAction(
  prisma: Db,
  actor: Actor,
  input: QueueActionInput,
  ip: string | null,
  opts: WaitOptions = {},
): Promise<QueueActionOutcome> {
  assertCan(actor, "server.write");
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: input.serverId }, scope.server(actor, "server.write")] },
    select: { id: true, tenantId: true, name: true, status: true },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  const ids = [...new Set(input.ids ?? [])];
  const command = commandFor(input.action, ids);
  const answer = await actOnAgent<QueueActionResult | QueueResetResult>(
    prisma,
    actor,
    {
      server,
      command,
      audit: {
        type: actionAudit[input.action],
        summary: auditSummary(input.action, server.name, ids),
        after: { action: input.action, ids: "ids" in command ? command.ids : "all" },
      },
      schema: input.action === "resetRetries" ? queueResetResultSchema : queueActionResultSchema,
    },
    ip,
    opts,
  );
  return answer.status === "ok" ? { status: "ok", action: input.action, result: answer.data } : answer;
}

function commandFor(action: QueueAction, ids: string[]): HubCommand {
  if (action === "resetRetries") return { type: "queue.resetRetries" };
  if (ids.length === 0) throw new AppError("BAD_REQUEST", "Choose at least one message.");
  if (ids.length > MAX_COMMAND_IDS)
    throw new AppError("BAD_REQUEST", `Choose at most ${MAX_COMMAND_IDS} messages at a time.`);
  return { type: actionCommand[action], ids } as HubCommand;
}

function auditSummary(action: QueueAction, serverName: string, ids: string[]): string {
  if (action === "resetRetries") return `${actionWords[action]} for every queued message on ${serverName}`;
  const shown = ids.slice(0, 5).join(", ") + (ids.length > 5 ? `, … (${ids.length} in all)` : "");
  const noun = ids.length === 1 ? "message" : "messages";
  return `${actionWords[action]}: ${ids.length} queued ${noun} on ${serverName} (${shown})`;
}
