// The hub's half of dashboard → agent commands (PROTOCOL.md "Commands"): hand PENDING rows to the agent
// whose socket this process holds, record the agent's answer on the row, and expire what nobody answered.
// Every state change is a conditional update, so several hub processes (or a late, duplicated or forged
// answer) can never move a command backwards or answer another agent's command.
import type { Logger } from "pino";
import { AgentCommandStatus, type Db, type Prisma } from "@mailwarden/db";
import {
  commandResultSchemas,
  hubCommandSchema,
  type AgentMessage,
  type HubCommand,
  type HubCommandType,
} from "@mailwarden/protocol";

/** Commands not answered within this long are EXPIRED (and never sent any more). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2 * 60_000;
/**
 * Finished commands are deleted after this long: a listing holds mail addresses, and what an action did
 * is kept in the audit log.
 */
export const COMMAND_RETENTION_MS = 24 * 3600_000;
/** Commands sent per round; more wait for the next notification or connection. */
const MAX_COMMANDS_PER_ROUND = 100;

type CommandResultMessage = Extract<AgentMessage, { type: "agent.command.result" }>;

/**
 * Sends the server's PENDING commands, oldest first, through `send` (false when the socket is gone).
 * Each is claimed (PENDING → SENT) before it is sent; one that could not be sent goes back to PENDING
 * for the agent's next connection.
 */
/** Which of these servers have a PENDING command young enough to send (one query for a batch of hellos). */
export async function serversWithPendingCommands(
  prisma: Db,
  serverIds: readonly string[],
  timeoutMs: number,
): Promise<Map<string, true>> {
  const rows = await prisma.agentCommand.findMany({
    where: {
      serverId: { in: [...serverIds] },
      status: AgentCommandStatus.PENDING,
      createdAt: { gt: new Date(Date.now() - timeoutMs) },
    },
    distinct: ["serverId"],
    select: { serverId: true },
  });
  return new Map(rows.map((row) => [row.serverId, true as const]));
}

export async function sendPendingCommands(
  prisma: Db,
  serverId: string,
  send: (commandId: string, command: HubCommand) => boolean,
  opts: { timeoutMs: number; logger: Logger },
): Promise<void> {
  const rows = await prisma.agentCommand.findMany({
    where: {
      serverId,
      status: AgentCommandStatus.PENDING,
      createdAt: { gt: new Date(Date.now() - opts.timeoutMs) },
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: MAX_COMMANDS_PER_ROUND,
    select: { id: true, type: true, payload: true },
  });
  for (const row of rows) {
    const parsed = hubCommandSchema.safeParse(row.payload);
    if (!parsed.success || parsed.data.type !== row.type) {
      // The hub never sends a frame the agent would reject as malformed.
      await prisma.agentCommand.updateMany({
        where: { id: row.id, status: AgentCommandStatus.PENDING },
        data: {
          status: AgentCommandStatus.FAILED,
          error: "The command is malformed and was not sent to the agent.",
          completedAt: new Date(),
        },
      });
      opts.logger.error({ commandId: row.id, type: row.type }, "malformed agent command not sent");
      continue;
    }
    const claimed = await prisma.agentCommand.updateMany({
      where: { id: row.id, status: AgentCommandStatus.PENDING },
      data: { status: AgentCommandStatus.SENT, sentAt: new Date() },
    });
    if (claimed.count !== 1) continue; // another process (or an earlier round) sent it
    if (!send(row.id, parsed.data)) {
      await prisma.agentCommand.updateMany({
        where: { id: row.id, status: AgentCommandStatus.SENT },
        data: { status: AgentCommandStatus.PENDING, sentAt: null },
      });
      return;
    }
    opts.logger.info({ commandId: row.id, type: row.type }, "command sent to agent");
  }
}

/**
 * Records an agent's answer, only for a SENT command addressed to that same agent. A successful answer
 * whose result does not match its command's schema is stored as FAILED, never as data.
 */
export async function recordCommandResult(
  prisma: Db,
  serverId: string,
  message: CommandResultMessage,
  logger: Logger,
): Promise<void> {
  const row = await prisma.agentCommand.findFirst({
    where: { id: message.commandId, serverId },
    select: { type: true, status: true },
  });
  if (!row) {
    logger.warn(
      { commandId: message.commandId },
      "ignored a result for a command not addressed to this agent",
    );
    return;
  }
  if (row.status !== AgentCommandStatus.SENT) {
    logger.info(
      { commandId: message.commandId, status: row.status },
      "ignored a late or repeated command result",
    );
    return;
  }
  let data: Prisma.AgentCommandUpdateManyMutationInput;
  if (message.ok) {
    const schema = commandResultSchemas[row.type as HubCommandType] as
      (typeof commandResultSchemas)[HubCommandType] | undefined;
    const parsed = schema?.safeParse(message.result);
    data = parsed?.success
      ? { status: AgentCommandStatus.DONE, result: parsed.data as Prisma.InputJsonValue }
      : {
          status: AgentCommandStatus.FAILED,
          error: `The agent's answer was malformed${parsed ? `: ${parsed.error.issues[0]?.message ?? ""}` : ""}.`,
        };
  } else {
    data = {
      status: AgentCommandStatus.FAILED,
      error: message.error?.trim() || "The agent reported a failure without a reason.",
    };
  }
  const updated = await prisma.agentCommand.updateMany({
    where: { id: message.commandId, serverId, status: AgentCommandStatus.SENT },
    data: { ...data, completedAt: new Date() },
  });
  logger.info(
    { commandId: message.commandId, type: row.type, status: data.status, isRecorded: updated.count === 1 },
    "agent answered a command",
  );
}

/**
 * Commands older than the timeout and still unanswered become EXPIRED; finished ones older than the
 * retention are deleted. Returns how many expired.
 */
export async function sweepAgentCommands(
  prisma: Db,
  timeoutMs: number,
  retentionMs = COMMAND_RETENTION_MS,
): Promise<number> {
  await prisma.agentCommand.deleteMany({
    where: { completedAt: { lt: new Date(Date.now() - retentionMs) } },
  });
  const { count } = await prisma.agentCommand.updateMany({
    where: {
      status: { in: [AgentCommandStatus.PENDING, AgentCommandStatus.SENT] },
      createdAt: { lte: new Date(Date.now() - timeoutMs) },
    },
    data: {
      status: AgentCommandStatus.EXPIRED,
      error: `The agent did not answer within ${Math.round(timeoutMs / 1000)} seconds.`,
      completedAt: new Date(),
    },
  });
  return count;
}
