// A server's mail queue, seen and acted on from the dashboard. The console never talks to an agent: it
// writes an AgentCommand (and, for an action, its audit event) in one transaction, the hub holding the
// agent's socket relays it (PROTOCOL.md "Commands"), and this service waits a few seconds for the answer
// on the row. An agent that is offline is not asked at all; one that does not answer in time leaves a
// "timeout", and a command it never received is withdrawn so it cannot run later behind the user's back.
import { setTimeout as sleep } from "node:timers/promises";
import {
  AgentCommandStatus,
  ServerStatus,
  issueAgentCommand,
  writeAudit,
  type AuditEventType,
  type Db,
} from "@mailwarden/db";
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
import { auditActor } from "./audit";

/** How long a request waits for the agent's answer. */
export const QUEUE_ANSWER_WAIT_MS = 8000;

export const queueActions = ["retry", "resetRetries", "delete", "bounce"] as const;
export type QueueAction = (typeof queueActions)[number];

/** Why there is no answer: the agent was not asked, or did not answer in time. */
export type NoAnswer =
  | { status: "offline" }
  /** `wasSent`: the agent received the command, so it may still carry it out. */
  | { status: "timeout"; wasSent: boolean }
  | { status: "failed"; error: string };

export type ServerQueue = ({ status: "ok" } & QueueListResult) | NoAnswer;
export type QueueActionOutcome =
  { status: "ok"; action: QueueAction; result: QueueActionResult | QueueResetResult } | NoAnswer;

export interface WaitOptions {
  /** Defaults to QUEUE_ANSWER_WAIT_MS. */
  waitMs?: number;
}

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
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: serverId }, scope.server(actor, "server.read")] },
    select: { id: true, tenantId: true, status: true },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  if (server.status !== ServerStatus.ONLINE) return { status: "offline" };
  const answer = await askAgent(prisma, actor, server, { type: "queue.list" }, opts);
  if (answer.status !== "done") return answer;
  const listing = queueListResultSchema.safeParse(answer.result);
  if (!listing.success) return { status: "failed", error: "The agent's answer could not be read." };
  return { status: "ok", ...listing.data };
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
  if (server.status !== ServerStatus.ONLINE) return { status: "offline" };

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
      type: actionAudit[input.action],
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: auditSummary(input.action, server.name, ids),
      after: { action: input.action, ids: "ids" in command ? command.ids : "all", commandId: issued.id },
    });
    return issued;
  });
  const answer = await awaitAnswer(prisma, id, opts.waitMs ?? QUEUE_ANSWER_WAIT_MS);
  if (answer.status !== "done") return answer;
  const schema = input.action === "resetRetries" ? queueResetResultSchema : queueActionResultSchema;
  const result = schema.safeParse(answer.result);
  if (!result.success) return { status: "failed", error: "The agent's answer could not be read." };
  return { status: "ok", action: input.action, result: result.data };
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

export type Answer = { status: "done"; result: unknown } | Exclude<NoAnswer, { status: "offline" }>;

/** Issues a command that changes nothing (a listing) to an online server the caller may read, and waits. */
export async function askAgent(
  prisma: Db,
  actor: Actor,
  server: { id: string; tenantId: string },
  command: HubCommand,
  opts: WaitOptions = {},
): Promise<Answer> {
  const { id } = await prisma.$transaction((tx) =>
    issueAgentCommand(tx, {
      serverId: server.id,
      tenantId: server.tenantId,
      type: command.type,
      payload: command,
      createdById: actor.userId,
    }),
  );
  return awaitAnswer(prisma, id, opts.waitMs ?? QUEUE_ANSWER_WAIT_MS);
}

/** Polls the command's row until the hub records the agent's answer, or the wait is over. */
export async function awaitAnswer(prisma: Db, commandId: string, waitMs: number): Promise<Answer> {
  const deadline = Date.now() + waitMs;
  let pause = 50;
  for (;;) {
    const answer = await readAnswer(prisma, commandId);
    if (answer) return answer;
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, 250);
  }
  // Never handed to the agent: withdraw it, so it is not carried out minutes later by surprise.
  const withdrawn = await prisma.agentCommand.updateMany({
    where: { id: commandId, status: AgentCommandStatus.PENDING },
    data: {
      status: AgentCommandStatus.EXPIRED,
      error: `Withdrawn: the agent could not be reached within ${Math.round(waitMs / 1000)} seconds.`,
      completedAt: new Date(),
    },
  });
  if (withdrawn.count === 1) return { status: "timeout", wasSent: false };
  return (await readAnswer(prisma, commandId)) ?? { status: "timeout", wasSent: true };
}

async function readAnswer(prisma: Db, commandId: string): Promise<Answer | null> {
  const row = await prisma.agentCommand.findUnique({
    where: { id: commandId },
    select: { status: true, result: true, error: true, sentAt: true },
  });
  if (!row) return { status: "failed", error: "The command is gone (was the server deleted?)." };
  switch (row.status) {
    case AgentCommandStatus.DONE:
      return { status: "done", result: row.result };
    case AgentCommandStatus.FAILED:
      return { status: "failed", error: row.error ?? "The agent could not do it." };
    case AgentCommandStatus.EXPIRED:
      return { status: "timeout", wasSent: row.sentAt !== null };
    default:
      return null;
  }
}
