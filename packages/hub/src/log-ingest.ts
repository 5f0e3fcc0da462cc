// The hub's half of shipping mail logs (issue 13): each connection stores its agent's `agent.logs` batches
// one after another, in the order they arrived, each in its own transaction (storeMailLogBatch), and
// answers `hub.logs.ack` only once that transaction committed. Storage runs beside the connection's
// frame queue, not on it, so a slow insert holds up neither heartbeats nor anything else the agent sends.
// A database fault never closes the session: the batch is retried (through the log limiter, then again
// after a pause) for as long as the connection lives; if it dies first, the agent resends what was not
// acknowledged after it reconnects, and idempotent storage makes the second copy a no-op.
//
// Also here: the periodic retention run every hub process makes (safe when several do), which also
// creates the coming day's partition before its first record arrives.
import type { Logger } from "pino";
import {
  createUpcomingMailLogPartitions,
  dropExpiredMailLogPartitions,
  storeMailLogBatch,
  type Db,
} from "@mailwarden/db";
import { LOG_BATCH_WINDOW, type MailLogRecord } from "@mailwarden/protocol";
import type { DbWork } from "./db-work";

export interface LogBatch {
  batch: number;
  records: MailLogRecord[];
}

export interface MailLogIngestOptions {
  prisma: Db;
  /** The limiter log batches go through (retries transient failures). */
  work: DbWork;
  logger: Logger;
  serverId: string;
  tenantId: string;
  /** False once the connection is no longer the agent's live session: unstored batches are left to the resend. */
  isLive(): boolean;
  /** Sends hub.logs.ack; called only after the batch's transaction committed. */
  acknowledge(batch: number, stored: number): void;
  /** Storage still running when the hub closes is awaited. */
  track(work: Promise<unknown>): void;
  /** Pause between rounds of retries once the limiter gave up (default 1 s, growing to 30 s). */
  retryPauseMs?: number;
}

/** One connection's log batches, stored strictly in arrival order. */
export class MailLogIngest {
  private queue: Promise<void> = Promise.resolve();
  private unacknowledged = 0;
  private isStopped = false;
  private wakePause: () => void = () => {};

  constructor(private readonly options: MailLogIngestOptions) {}

  /**
   * Queues a batch behind the ones before it. False when the agent already has the protocol's window of
   * batches waiting for an ack: it is not following the protocol, and the caller refuses it.
   */
  accept(message: LogBatch): boolean {
    if (this.unacknowledged >= LOG_BATCH_WINDOW) return false;
    this.unacknowledged++;
    const run = this.queue.then(() => this.store(message)).finally(() => this.unacknowledged--);
    this.queue = run.catch(() => undefined);
    this.options.track(run);
    return true;
  }

  /** The connection ended: batches not yet stored are dropped (the agent resends them) and no wait drags on. */
  stop(): void {
    this.isStopped = true;
    this.wakePause();
  }

  private isLive(): boolean {
    return !this.isStopped && this.options.isLive();
  }

  private async store(message: LogBatch): Promise<void> {
    const { prisma, work, serverId, tenantId, logger } = this.options;
    for (let round = 1; this.isLive(); round++) {
      try {
        // Checked again each attempt: retries of a connection that has gone stop touching the database.
        const stored = await work.run("mail log batch", () =>
          this.isLive()
            ? storeMailLogBatch(prisma, { serverId, tenantId, records: message.records })
            : Promise.resolve(null),
        );
        if (stored === null) return;
        if (this.isLive()) this.options.acknowledge(message.batch, stored);
        return;
      } catch (error) {
        const pauseMs = Math.min(30_000, (this.options.retryPauseMs ?? 1000) * round);
        logger.error(
          { err: error, batch: message.batch, records: message.records.length, round, pauseMs },
          "could not store a mail-log batch; trying again",
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pauseMs);
          this.wakePause = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }
}

export interface MailLogRetentionJob {
  /** Stops the timer; a run in progress finishes (and is tracked by the caller). */
  stop(): void;
}

/**
 * Drops expired mail-log days and creates today's and tomorrow's partitions, now and then every
 * `intervalMs`. Every hub process runs one: the partition lock makes concurrent runs take turns, and a
 * failed run is simply tried at the next tick.
 */
export function startMailLogRetention(options: {
  prisma: Db;
  logger: Logger;
  intervalMs: number;
  track(work: Promise<unknown>): void;
}): MailLogRetentionJob {
  const { prisma, logger } = options;
  let running: Promise<void> | null = null;
  const runOnce = () => {
    if (running) return;
    running = (async () => {
      const { dropped, keepFrom } = await dropExpiredMailLogPartitions(prisma);
      if (dropped.length > 0) logger.info({ dropped, keepFrom }, "dropped expired mail-log days");
      await createUpcomingMailLogPartitions(prisma);
    })()
      .catch((error: unknown) => logger.warn({ err: error }, "mail-log retention failed; trying again later"))
      .then(() => {
        running = null;
      });
    options.track(running);
  };
  runOnce();
  const timer = setInterval(runOnce, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
