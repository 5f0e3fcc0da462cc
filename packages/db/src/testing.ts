// A fresh, fully migrated database per call for the integration tests of every package. Without
// DATABASE_URL, each test process lazily starts one throwaway embedded Postgres (on a port the kernel
// picked, so parallel workers of several packages never collide) and stops it when the last database is
// released; a watchdog removes it even if the process is killed.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createPrismaClient, type Db } from "./client";
import { startThrowawayPostgres, type RunningPostgres } from "./embedded";
import { env } from "./env";
import { applyMigrations } from "./migrations/apply";

export interface TestDatabase {
  /** Connection URL of this test's own database. */
  url: string;
  prisma: Db;
  /** Disconnects, drops the database and, for the last user, stops the embedded server. Idempotent. */
  stop(): Promise<void>;
}

interface SharedServer {
  server?: Promise<RunningPostgres>;
  users: number;
}

// On globalThis so all test files of one process share it even if the module is loaded more than once.
const sharedKey = Symbol.for("mailwarden.db.testing.server");
const shared: SharedServer = ((globalThis as Record<symbol, SharedServer | undefined>)[sharedKey] ??= {
  users: 0,
});

async function acquireServer(): Promise<RunningPostgres> {
  shared.users++;
  const server = (shared.server ??= startThrowawayPostgres());
  try {
    return await server;
  } catch (error) {
    if (shared.server === server) shared.server = undefined;
    shared.users--;
    throw error;
  }
}

async function releaseServer(): Promise<void> {
  shared.users--;
  if (shared.users > 0 || !shared.server) return;
  const server = shared.server;
  shared.server = undefined;
  await (await server).stop();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function runAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `mailwarden_test_${process.pid}_${randomBytes(6).toString("hex")}`;
  const server = env.DATABASE_URL ? undefined : await acquireServer();
  const adminUrl = env.DATABASE_URL ?? server?.url("postgres") ?? "";
  let isCreated = false;
  try {
    await runAdmin(adminUrl, `CREATE DATABASE "${name}"`);
    isCreated = true;
    const url = withDatabase(adminUrl, name);
    await applyMigrations(url);
    const prisma = createPrismaClient(url);

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        try {
          await prisma.$disconnect();
          await runAdmin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          if (server) await releaseServer();
        }
      })());
    return { url, prisma, stop };
  } catch (error) {
    if (isCreated) await runAdmin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
    if (server) await releaseServer();
    throw error;
  }
}

/**
 * Holds the mail-log table (issue 13) from a second connection, so an ingest's insert waits inside its
 * statement: a slow or stuck database at a known point. Returns the release (safe to call twice).
 */
export async function holdMailLogTable(url: string): Promise<() => Promise<void>> {
  const locker = new pg.Client({ connectionString: url });
  locker.on("error", () => undefined);
  await locker.connect();
  await locker.query(`BEGIN; LOCK TABLE "MailLogRecord" IN SHARE MODE`);
  let released: Promise<void> | null = null;
  return () =>
    (released ??= locker
      .query("ROLLBACK")
      .then(() => locker.end())
      .catch(() => undefined));
}

/** Whether some backend waits for a lock on the mail-log table: an insert started and cannot finish. */
export async function isMailLogInsertWaiting(prisma: Db): Promise<boolean> {
  const rows = await prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
     WHERE NOT l.granted AND c.relname LIKE 'MailLogRecord%'`;
  return Number(rows[0]?.n ?? 0) > 0;
}
