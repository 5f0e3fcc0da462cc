// Mail-log retention: records are kept ConsoleSettings.logRetentionDays days (the provider's setting,
// default 30) and leave a whole UTC day at a time, by dropping that day's partition — no DELETE, no
// vacuum debt. Every hub process runs it periodically; two at once is harmless (they take the partition
// lock in turn, and the second finds nothing left to drop). The ingest uses the same cut-off, so a record
// older than it is acknowledged without being stored (its partition is gone or about to be).
import type { Db, Tx } from "../client";
import { addDays, dayOf, listMailLogPartitions, lockPartitions } from "./partitions";

export const DEFAULT_LOG_RETENTION_DAYS = 30;

/** The provider's retention in days (the default while the settings row does not exist). */
export async function logRetentionDays(db: Db | Tx): Promise<number> {
  const rows = await db.$queryRaw<{ days: number }[]>`
    SELECT "logRetentionDays" AS days FROM "ConsoleSettings" WHERE "id" = 'provider'`;
  const days = rows[0]?.days;
  return days && days > 0 ? days : DEFAULT_LOG_RETENTION_DAYS;
}

/**
 * Midnight UTC of the oldest day still kept: a partition whose day is before it is dropped, and a record
 * dated before it is not stored. A day stays until the whole of it is older than `retentionDays` days.
 */
export function mailLogKeepFrom(now: Date, retentionDays: number): Date {
  return dayOf(addDays(now, -retentionDays));
}

export interface MailLogRetentionResult {
  keepFrom: Date;
  /** Names of the partitions dropped. */
  dropped: string[];
}

export interface MailLogRetentionOptions {
  /** The time to judge age by (tests pass a fake one). */
  now?: Date;
  /** How long to wait for inserts holding the table before giving up until the next run (default 5 s). */
  lockTimeoutMs?: number;
}

/**
 * Drops every day partition older than the retention setting, in one transaction. It waits at most
 * `lockTimeoutMs` for the table (an ingest in flight holds it): queued behind a long wait, the DROP
 * would hold up every insert, so it gives up and the next run tries again.
 */
export async function dropExpiredMailLogPartitions(
  db: Db,
  options: MailLogRetentionOptions = {},
): Promise<MailLogRetentionResult> {
  const now = options.now ?? new Date();
  const lockTimeoutMs = Math.max(1, Math.round(options.lockTimeoutMs ?? 5000));
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = ${lockTimeoutMs}`);
      const keepFrom = mailLogKeepFrom(now, await logRetentionDays(tx));
      await lockPartitions(tx);
      const expired = (await listMailLogPartitions(tx)).filter((p) => p.day < keepFrom);
      // Names come from pg_class and match our own pattern (listMailLogPartitions checks it).
      for (const partition of expired) await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS "${partition.name}"`);
      return { keepFrom, dropped: expired.map((p) => p.name) };
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}
