// How a change made by one process reaches the hub instance holding an agent's socket: the writer bumps
// Server.desiredRevision and NOTIFYs in its own transaction (so the signal exists only if the change
// committed), and every hub LISTENs. The database stays the meeting point; NOTIFY is only the doorbell.
import { z } from "zod";
import type { Db, Tx } from "./client";
import {
  listenChannels,
  type ChannelHandler,
  type ChannelListener,
  type ChannelListenerOptions,
} from "./listen";

export const configChannel = "mailwarden_config";

export type ConfigChangeScope = { tenantId: string } | { serverId: string } | { all: true };

/** NOTIFY payloads are limited to 8000 bytes; larger id lists go out in several notifications. */
const maxPayloadBytes = 7900;

function chunkPayloads(ids: string[]): string[] {
  const payloads: string[] = [];
  let current: string[] = [];
  for (const id of ids) {
    if (current.length > 0 && Buffer.byteLength(JSON.stringify([...current, id])) > maxPayloadBytes) {
      payloads.push(JSON.stringify(current));
      current = [];
    }
    current.push(id);
  }
  if (current.length > 0) payloads.push(JSON.stringify(current));
  return payloads;
}

/**
 * Bumps the desired revision of every affected, non-revoked server and queues a notification carrying
 * their ids; Postgres delivers it at commit and drops it on rollback. Returns the ids.
 */
export async function markConfigChanged(tx: Tx | Db, scope: ConfigChangeScope): Promise<string[]> {
  const where =
    "all" in scope ? {} : "tenantId" in scope ? { tenantId: scope.tenantId } : { id: scope.serverId };
  const servers = await tx.server.updateManyAndReturn({
    where: { ...where, status: { not: "REVOKED" } },
    data: { desiredRevision: { increment: 1 } },
    select: { id: true },
  });
  const ids = servers.map((s) => s.id).sort();
  for (const payload of chunkPayloads(ids)) {
    // $executeRaw: pg_notify returns `void`, a column type the query path cannot decode.
    await tx.$executeRaw`SELECT pg_notify(${configChannel}, ${payload})`;
  }
  return ids;
}

const payloadSchema = z.array(z.string().min(1));

export type ConfigChangeListenerOptions = ChannelListenerOptions;

/** Parses config-channel payloads into server ids; malformed ones are logged and ignored. */
export function configChangeHandler(
  onChange: (serverIds: string[]) => void,
  log: (line: string) => void = (line) => console.warn(line),
): ChannelHandler {
  return (payload) => {
    let ids: string[];
    try {
      ids = payloadSchema.parse(JSON.parse(payload));
    } catch {
      log(`ignoring malformed ${configChannel} payload: ${payload.slice(0, 200)}`);
      return;
    }
    onChange(ids);
  };
}

/**
 * Calls `onChange` with the server ids of each notification on the config channel, over a connection of
 * its own (see ./listen for reconnection and backoff). Resolves once listening; rejects if the first
 * connection fails.
 */
export async function listenConfigChanges(
  databaseUrl: string,
  onChange: (serverIds: string[]) => void,
  opts: ConfigChangeListenerOptions = {},
): Promise<ChannelListener> {
  return listenChannels(databaseUrl, { [configChannel]: configChangeHandler(onChange, opts.log) }, opts);
}
