// Asking an agent something from the dashboard, and telling it to do something. The console never talks
// to an agent: it writes an AgentCommand (and, for an action, its audit event) in one transaction, the hub
// holding the agent's socket relays it (PROTOCOL.md "Commands"), and the request waits a few seconds for
// the answer on the row. An agent that is offline is not asked at all; one that does not answer in time
// leaves a "timeout", and a command it never received is withdrawn so it cannot run later behind the
// user's back. The mail queue (./queue.ts) and abuse blocks (./abuse-blocks.ts) are its users.
import { setTimeout as sleep } from "node:timers/promises";
import {
  AgentCommandStatus,
  ServerStatus,
  issueAgentCommand,
  writeAudit,
  type AuditEventType,
  type Db,
} from "@mailwarden/db";
import type { HubCommand } from "@mailwarden/protocol";
import type { z } from "zod";
import { scope, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";

/** How long a request waits for the agent's answer. */
export const AGENT_ANSWER_WAIT_MS = 8000;

/** Why there is no answer: the agent was not asked, or did not answer in time. */
export type NoAnswer =
  | { status: "offline" }
  /** `wasSent`: the agent received the command, so it may still carry it out. */
  | { status: "timeout"; wasSent: boolean }
  | { status: "failed"; error: string };

export interface WaitOptions {
  /** Defaults to AGENT_ANSWER_WAIT_MS. */
  waitMs?: number;
}

export type Parsed<T> = { status: "ok"; data: T } | NoAnswer;

const unreadable: NoAnswer = { status: "failed", error: "The agent's answer could not be read." };

/** A command that changes nothing (a listing) to a server the actor may read; its answer parsed. */
export async function readFromAgent<T>(
  prisma: Db,
  actor: Actor,
  serverId: string,
  command: HubCommand,
  schema: z.ZodType<T>,
  opts: WaitOptions = {},
): Promise<Parsed<T>> {
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: serverId }, scope.server(actor, "server.read")] },
    select: { id: true, tenantId: true, status: true },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  if (server.status !== ServerStatus.ONLINE) return { status: "offline" };
  const { id } = await prisma.$transaction((tx) =>
    issueAgentCommand(tx, {
      serverId: server.id,
      tenantId: server.tenantId,
      type: command.type,
      payload: command,
      createdById: actor.userId,
    }),
  );
  return parseAnswer(await awaitAnswer(prisma, id, opts.waitMs ?? AGENT_ANSWER_WAIT_MS), schema);
}

export interface AgentAction<T> {
  /** A server the caller found under the actor's write scope. */
  server: { id: string; tenantId: string; status: string };
  command: HubCommand;
  audit: {
    type: AuditEventType;
    summary: string;
    before?: unknown;
    /** Recorded with the command's id. */
    after: Record<string, unknown>;
  };
  schema: z.ZodType<T>;
}

/** An action on an agent: the command and its audit event in one transaction, then its answer parsed. */
export async function actOnAgent<T>(
  prisma: Db,
  actor: Actor,
  action: AgentAction<T>,
  ip: string | null,
  opts: WaitOptions = {},
): Promise<Parsed<T>> {
  const { server, command, audit } = action;
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
      type: audit.type,
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: audit.summary,
      ...(audit.before !== undefined && { before: audit.before }),
      after: { ...audit.after, commandId: issued.id },
    });
    return issued;
  });
  return parseAnswer(await awaitAnswer(prisma, id, opts.waitMs ?? AGENT_ANSWER_WAIT_MS), action.schema);
}

function parseAnswer<T>(answer: Answer, schema: z.ZodType<T>): Parsed<T> {
  if (answer.status !== "done") return answer;
  const parsed = schema.safeParse(answer.result);
  return parsed.success ? { status: "ok", data: parsed.data } : unreadable;
}

type Answer = { status: "done"; result: unknown } | Exclude<NoAnswer, { status: "offline" }>;

/** Polls the command's row until the hub records the agent's answer, or the wait is over. */
async function awaitAnswer(prisma: Db, commandId: string, waitMs: number): Promise<Answer> {
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
