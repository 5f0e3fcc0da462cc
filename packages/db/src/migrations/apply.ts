// Applies the committed migrations at start-up and in tests with plain `pg` — no wasm engine, no CLI.
// It writes the standard _prisma_migrations rows, so `prisma migrate deploy` (where it can run) agrees
// with what was applied here, and it takes Prisma's own advisory lock so the two never run at once.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { migrationsDir as defaultMigrationsDir } from "../paths";
import { readMigrationFiles } from "./migration-files";

/** The key `prisma migrate` locks on; sharing it serialises us with the CLI as well as with ourselves. */
const migrateAdvisoryLockKey = 72707369;

// The table exactly as Prisma creates it.
const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Applies every migration in `prisma/migrations` that the database has not recorded yet, each in its own
 * transaction together with its _prisma_migrations row: a failing migration leaves no trace and the next
 * start simply retries it.
 */
export async function applyMigrations(
  databaseUrl: string,
  opts: { migrationsDir?: string } = {},
): Promise<{ applied: string[] }> {
  const migrations = readMigrationFiles(opts.migrationsDir ?? defaultMigrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  // Quiet notices such as "relation _prisma_migrations already exists, skipping".
  client.on("notice", () => {});
  client.on("error", () => {}); // a dropped connection surfaces as the failing query instead
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [migrateAdvisoryLockKey]);
    await client.query(createMigrationsTable);
    const { rows } = await client.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const byName = new Map(rows.map((r) => [r.migration_name, r]));
    const failed = rows.filter((r) => r.finished_at === null).map((r) => r.migration_name);
    if (failed.length > 0) {
      // Left by `prisma migrate deploy`, which does not use transactions; it needs a human.
      throw new MigrationError(
        `migration(s) ${failed.join(", ")} failed earlier and are marked unfinished in _prisma_migrations; ` +
          `fix the database and mark them rolled back (prisma migrate resolve) before starting again`,
      );
    }

    const applied: string[] = [];
    for (const migration of migrations) {
      const done = byName.get(migration.name);
      if (done) {
        if (done.checksum !== migration.checksum) {
          console.warn(`migration ${migration.name} was edited after it was applied (checksum differs)`);
        }
        continue;
      }
      await client.query("BEGIN");
      try {
        const id = randomUUID();
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 0)`,
          [id, migration.checksum, migration.name],
        );
        await client.query(migration.sql);
        // clock_timestamp(): now() would equal started_at inside the transaction.
        await client.query(
          `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
          [id],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw new MigrationError(
          `migration ${migration.name} failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      applied.push(migration.name);
    }
    return { applied };
  } finally {
    // Ending the session releases the advisory lock even if unlocking is never reached.
    await client.end().catch(() => {});
  }
}
