// The day partitions of "MailLogRecord" (one per UTC day, named "MailLogRecord_YYYYMMDD"). The migration
// creates only the partitioned parent; the ingest creates a day's partition the first time a record of
// that day arrives, and retention drops whole days. Both take one transaction-scoped advisory lock first,
// so two hub processes never race on CREATE TABLE (which would fail on pg_class) or create a day while
// another drops it.
import type { Db, Tx } from "../client";

export const MAIL_LOG_TABLE = "MailLogRecord";
const DAY_MS = 86_400_000;
const partitionNamePattern = /^MailLogRecord_(\d{4})(\d{2})(\d{2})$/;

/** Arbitrary constant: the first half of the advisory-lock key every partition change takes. */
const PARTITION_LOCK_CLASS = 0x4d4c_0001;

/** Midnight UTC of the day `at` falls in. */
export function dayOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

export function addDays(day: Date, days: number): Date {
  return new Date(day.getTime() + days * DAY_MS);
}

/** "MailLogRecord_20261208" for any time on 8 December 2026 (UTC). */
export function partitionNameOf(day: Date): string {
  return `${MAIL_LOG_TABLE}_${day.toISOString().slice(0, 10).replaceAll("-", "")}`;
}

/** The day a partition name stands for, or null for a table that is not one of ours. */
export function dayOfPartition(name: string): Date | null {
  const match = partitionNamePattern.exec(name);
  if (!match) return null;
  const day = new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00.000Z`);
  return Number.isNaN(day.getTime()) ? null : day;
}

/** Serializes partition creation and removal across every process on this database, until commit. */
export async function lockPartitions(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${PARTITION_LOCK_CLASS}::int, 0)`;
}

/**
 * Creates the partitions of `days` (midnights UTC) that do not exist yet, inside the caller's transaction
 * (so a batch that fails leaves no half-made day behind, and the lock is held until its rows are in).
 */
export async function ensurePartitions(tx: Tx, days: readonly Date[]): Promise<void> {
  if (days.length === 0) return;
  await lockPartitions(tx);
  for (const day of days) {
    const from = dayOf(day);
    // Names and bounds come from a Date, never from input text, so they are safe to splice in.
    await tx.$executeRawUnsafe(
      `CREATE TABLE IF NOT EXISTS "${partitionNameOf(from)}" PARTITION OF "${MAIL_LOG_TABLE}"
         FOR VALUES FROM ('${from.toISOString()}') TO ('${addDays(from, 1).toISOString()}')`,
    );
  }
}

/**
 * Creates today's and the next `daysAhead` days' partitions ahead of time (run by the hourly retention
 * job), so the first batch after midnight does not have to wait for DDL on the parent table.
 */
export async function createUpcomingMailLogPartitions(
  db: Db,
  options: { now?: Date; daysAhead?: number } = {},
): Promise<void> {
  const today = dayOf(options.now ?? new Date());
  const days = Array.from({ length: 1 + (options.daysAhead ?? 1) }, (_, i) => addDays(today, i));
  await db.$transaction((tx) => ensurePartitions(tx, days), { maxWait: 10_000, timeout: 60_000 });
}

export interface MailLogPartition {
  name: string;
  /** Midnight UTC of the day it holds. */
  day: Date;
}

/** The day partitions that exist now, oldest first (tables attached under other names are left out). */
export async function listMailLogPartitions(db: Db | Tx): Promise<MailLogPartition[]> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT c.relname AS name
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE p.relname = ${MAIL_LOG_TABLE} AND n.nspname = current_schema()`;
  return rows
    .map((row) => ({ name: row.name, day: dayOfPartition(row.name) }))
    .filter((p): p is MailLogPartition => p.day !== null)
    .sort((a, b) => a.day.getTime() - b.day.getTime());
}
