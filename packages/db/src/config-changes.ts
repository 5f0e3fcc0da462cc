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

/**
 * Bumps the desired revision of every affected, non-revoked server and queues one notification naming
 * the scope (one id at most: the payload stays tiny whatever the fleet's size; each hub knows which of
 * its agents are in it). Postgres delivers it at commit and drops it on rollback. Returns the ids.
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
  if (ids.length > 0) {
    const payload = JSON.stringify(
      "all" in scope
        ? { all: true }
        : "tenantId" in scope
          ? { tenantId: scope.tenantId }
          : { serverId: scope.serverId },
    );
    // $executeRaw: pg_notify returns `void`, a column type the query path cannot decode.
    await tx.$executeRaw`SELECT pg_notify(${configChannel}, ${payload})`;
  }
  return ids;
}

const payloadSchema = z.union([
  z.object({ all: z.literal(true) }).strict(),
  z.object({ tenantId: z.string().min(1).max(64) }).strict(),
  z.object({ serverId: z.string().min(1).max(64) }).strict(),
]);

export type ConfigChangeListenerOptions = ChannelListenerOptions;

/** Parses config-channel payloads into the changed scope; malformed ones are logged and ignored. */
export function configChangeHandler(
  onChange: (scope: ConfigChangeScope) => void,
  log: (line: string) => void = (line) => console.warn(line),
): ChannelHandler {
  return (payload) => {
    let scope: ConfigChangeScope;
    try {
      scope = payloadSchema.parse(JSON.parse(payload));
    } catch {
      log(`ignoring malformed ${configChannel} payload: ${payload.slice(0, 200)}`);
      return;
    }
    onChange(scope);
  };
}

/**
 * Calls `onChange` with the scope of each notification on the config channel, over a connection of
 * its own (see ./listen for reconnection and backoff). Resolves once listening; rejects if the first
 * connection fails.
 */
export async function listenConfigChanges(
  databaseUrl: string,
  onChange: (scope: ConfigChangeScope) => void,
  opts: ConfigChangeListenerOptions = {},
): Promise<ChannelListener> {
  return listenChannels(databaseUrl, { [configChannel]: configChangeHandler(onChange, opts.log) }, opts);
}
