// The one LISTEN client of the project: a dedicated connection (pooled connections cannot hold a LISTEN)
// that survives Postgres restarts and network cuts, listening on one or several channels (a hub holds
// one connection for config changes and agent commands). NOTIFY is only ever a doorbell; the rows are
// the truth.
import pg from "pg";

export interface ChannelListenerOptions {
  /**
   * Called after a lost connection is re-established. Notifications sent meanwhile are gone, so the
   * caller should re-read whatever state it cares about.
   */
  onReconnect?: () => void;
  log?: (line: string) => void;
  /** Backoff bounds for reconnecting, in ms (defaults 250 and 10 000). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface ChannelListener {
  /** False while a lost connection is being re-established (notifications are being missed). */
  isListening(): boolean;
  close(): Promise<void>;
}

/** Called with each notification's payload on one channel. */
export type ChannelHandler = (payload: string) => void;

/** Channel names go into a LISTEN statement unquoted, so only plain identifiers are accepted. */
const channelPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * LISTENs on every channel of `handlers` over one connection and calls each channel's handler with its
 * notifications' payloads. Reconnects with capped, jittered backoff; a handler that throws is logged,
 * never fatal. Resolves once listening; rejects if the first connection fails.
 */
export async function listenChannels(
  databaseUrl: string,
  handlers: Record<string, ChannelHandler>,
  opts: ChannelListenerOptions = {},
): Promise<ChannelListener> {
  const channels = Object.keys(handlers);
  if (channels.length === 0) throw new Error("no channel to listen on");
  for (const channel of channels) {
    if (!channelPattern.test(channel)) throw new Error(`invalid channel name ${JSON.stringify(channel)}`);
  }
  const name = channels.join("+");
  const log = opts.log ?? ((line: string) => console.warn(line));
  const minBackoffMs = opts.minBackoffMs ?? 250;
  const maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  let client: pg.Client | undefined;
  let isClosed = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const handleNotification = (message: pg.Notification) => {
    const handler = Object.hasOwn(handlers, message.channel) ? handlers[message.channel] : undefined;
    if (!handler) return;
    try {
      handler(message.payload ?? "");
    } catch (error) {
      log(`${message.channel} handler failed: ${error instanceof Error ? error.message : String(error)}`);
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
      log(`${name} listener lost its connection (${reason}); reconnecting`);
      next.end().catch(() => {});
      scheduleReconnect();
    };
    next.on("error", (error) => onLost(error.message));
    next.on("end", () => onLost("connection ended"));
    next.on("notification", handleNotification);
    try {
      await next.connect();
      // One statement per channel in one simple query: listening starts on all of them at once.
      await next.query(channels.map((channel) => `LISTEN ${channel}`).join("; "));
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
          log(`${name} reconnect failed: ${error instanceof Error ? error.message : String(error)}`);
          scheduleReconnect();
        },
      );
    }, delay);
  };

  await connect();
  return {
    isListening: () => client !== undefined,
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
