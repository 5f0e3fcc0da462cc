// One-off requests from the dashboard to one agent (list its queue, retry a message...). The dashboard
// inserts an AgentCommand row and NOTIFYs its id in the same transaction, so the doorbell rings only for
// a committed command; whichever hub process holds that agent's socket sends it and writes the answer
// back on the row, which the dashboard reads. The row, not the notification, is the truth: a hub also
// sends PENDING rows when an agent connects and when it starts.
import type { Db, Tx } from "./client";
import type { Prisma } from "./generated/prisma/client";
import {
  listenChannels,
  type ChannelHandler,
  type ChannelListener,
  type ChannelListenerOptions,
} from "./listen";

export const commandChannel = "mailwarden_command";

export interface NewAgentCommand {
  serverId: string;
  tenantId: string;
  /** The command's type, also inside payload (e.g. "queue.list"). */
  type: string;
  /** The command exactly as the hub will send it (validated by the caller against the protocol). */
  payload: Prisma.InputJsonValue;
  createdById?: string | null;
}

/** Inserts the command and queues its notification; Postgres delivers it at commit, drops it on rollback. */
export async function issueAgentCommand(tx: Tx | Db, command: NewAgentCommand): Promise<{ id: string }> {
  const row = await tx.agentCommand.create({
    data: {
      serverId: command.serverId,
      tenantId: command.tenantId,
      type: command.type,
      payload: command.payload,
      createdById: command.createdById ?? null,
    },
    select: { id: true },
  });
  // $executeRaw: pg_notify returns `void`, a column type the query path cannot decode.
  await tx.$executeRaw`SELECT pg_notify(${commandChannel}, ${row.id})`;
  return row;
}

/** Command ids are cuids; anything else on the channel is garbage and ignored. */
const commandIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses command-channel payloads (a command id); malformed ones are logged and ignored. */
export function agentCommandHandler(
  onId: (commandId: string) => void,
  log: (line: string) => void = (line) => console.warn(line),
): ChannelHandler {
  return (payload) => {
    if (!commandIdPattern.test(payload)) {
      log(`ignoring malformed ${commandChannel} payload: ${payload.slice(0, 200)}`);
      return;
    }
    onId(payload);
  };
}

/**
 * Calls `onId` with the id of each command issued from now on, over a connection of its own (a hub
 * listens on both channels through one: see ./listen). After a reconnect `onReconnect` should re-read
 * the PENDING rows, since notifications sent meanwhile are lost.
 */
export async function listenAgentCommands(
  databaseUrl: string,
  onId: (commandId: string) => void,
  opts: ChannelListenerOptions = {},
): Promise<ChannelListener> {
  return listenChannels(databaseUrl, { [commandChannel]: agentCommandHandler(onId, opts.log) }, opts);
}
