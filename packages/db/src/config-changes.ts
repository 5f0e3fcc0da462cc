// How a change made by one process reaches the hub instance holding an agent's socket: the writer bumps
// Server.desiredRevision and NOTIFYs in its own transaction (so the signal exists only if the change
// committed), and every hub LISTENs. The database stays the meeting point; NOTIFY is only the doorbell.
import pg from "pg";
import { z } from "zod";
import type { Db, Tx } from "./client";

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

export interface ConfigChangeListenerOptions {
  /**
   * Called after a lost connection is re-established. Notifications sent meanwhile are gone, so the
   * caller should re-read the desired revisions it cares about.
   */
  onReconnect?: () => void;
  log?: (line: string) => void;
  /** Backoff bounds for reconnecting, in ms (defaults 250 and 10 000). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * LISTENs on a dedicated connection (pooled connections cannot hold a LISTEN) and calls `onChange` with
 * the server ids of each notification. Reconnects with capped, jittered backoff; ignores malformed
 * payloads. Resolves once listening; rejects if the first connection fails.
 */
export async function listenConfigChanges(
  databaseUrl: string,
  onChange: (serverIds: string[]) => void,
  opts: ConfigChangeListenerOptions = {},
): Promise<{ close(): Promise<void> }> {
  const log = opts.log ?? ((line: string) => console.warn(line));
  const minBackoffMs = opts.minBackoffMs ?? 250;
  const maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  let client: pg.Client | undefined;
  let isClosed = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const handleNotification = (message: pg.Notification) => {
    if (message.channel !== configChannel) return;
    let ids: string[];
    try {
      ids = payloadSchema.parse(JSON.parse(message.payload ?? ""));
    } catch {
      log(`ignoring malformed ${configChannel} payload: ${String(message.payload).slice(0, 200)}`);
      return;
    }
    try {
      onChange(ids);
    } catch (error) {
      log(`${configChannel} handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl, keepAlive: true });
    let isLost = false;
    const onLost = (reason: string) => {
      // Only an established listener reconnects; a failing attempt is reported to whoever started it.
      if (isLost || client !== next) return;
      isLost = true;
      next.removeAllListeners("notification");
      client = undefined;
      if (isClosed) return;
      log(`${configChannel} listener lost its connection (${reason}); reconnecting`);
      next.end().catch(() => {});
      scheduleReconnect();
    };
    next.on("error", (error) => onLost(error.message));
    next.on("end", () => onLost("connection ended"));
    next.on("notification", handleNotification);
    try {
      await next.connect();
      await next.query(`LISTEN ${configChannel}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    if (isClosed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
  };

  const scheduleReconnect = () => {
    if (isClosed || reconnectTimer) return;
    const ceiling = Math.min(maxBackoffMs, minBackoffMs * 2 ** failures);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect().then(
        () => {
          failures = 0;
          if (!isClosed) opts.onReconnect?.();
        },
        (error: unknown) => {
          failures++;
          log(`${configChannel} reconnect failed: ${error instanceof Error ? error.message : String(error)}`);
          scheduleReconnect();
        },
      );
    }, delay);
  };

  await connect();
  return {
    async close() {
      isClosed = true;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners("notification");
        await current.end().catch(() => {});
      }
    },
  };
}
