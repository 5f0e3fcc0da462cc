// `npm run db:migrate:create -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql from
// schema.prisma, what `prisma migrate dev --create-only` would do if the CLI could get its engine here.
// It replays the committed migrations on a throwaway embedded Postgres (or DATABASE_URL) and diffs.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startThrowawayPostgres } from "../embedded";
import { env } from "../env";
import { migrationsDir as defaultMigrationsDir, schemaPath as defaultSchemaPath } from "../paths";
import { lockfileContent, lockfileName } from "./migration-files";
import { schemaFilters, openSchemaEngine, readMigrationsList } from "./schema-engine";

export interface CreateMigrationResult {
  /** The new migration's directory name, or null when the schema already matches the migrations. */
  migrationName: string | null;
  sql: string | null;
}

/** Creates the next migration in `migrationsDir` against the database at `databaseUrl`. */
export async function createMigration(opts: {
  databaseUrl: string;
  name: string;
  migrationsDir?: string;
  schemaPath?: string;
  log?: (line: string) => void;
}): Promise<CreateMigrationResult> {
  const dir = opts.migrationsDir ?? defaultMigrationsDir;
  const log = opts.log ?? (() => {});
  const { engine, schemaFiles, close } = await openSchemaEngine(
    opts.databaseUrl,
    opts.schemaPath ?? defaultSchemaPath,
    log,
  );
  try {
    const diagnose = async () => {
      const { action } = await engine.devDiagnostic({
        migrationsList: readMigrationsList(dir),
        filters: schemaFilters,
      });
      if (action.tag === "reset") {
        throw new Error(
          `the database has drifted from the migrations and would need a reset: ${action.reason}`,
        );
      }
    };
    await diagnose();
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: readMigrationsList(dir),
      filters: schemaFilters,
    });
    if (appliedMigrationNames.length > 0) await diagnose();

    const created = await engine.createMigration({
      draft: false,
      migrationName: opts.name,
      migrationsList: readMigrationsList(dir),
      schema: { files: schemaFiles },
      filters: schemaFilters,
    });
    if (created.migrationScript === null) return { migrationName: null, sql: null };

    mkdirSync(path.join(dir, created.generatedMigrationName), { recursive: true });
    writeFileSync(path.join(dir, created.generatedMigrationName, "migration.sql"), created.migrationScript);
    writeFileSync(path.join(dir, lockfileName), lockfileContent);
    // Apply it too, as `migrate dev` does, so a broken script fails here rather than at someone's start-up.
    await engine.applyMigrations({ migrationsList: readMigrationsList(dir), filters: schemaFilters });
    return { migrationName: created.generatedMigrationName, sql: created.migrationScript };
  } finally {
    close();
  }
}

async function main(): Promise<number> {
  const name = process.argv[2];
  if (!name || !/^[A-Za-z0-9_-]+$/.test(name)) {
    process.stderr.write("usage: npm run db:migrate:create -- <name>   (letters, digits, _ and -)\n");
    return 2;
  }
  const postgres = env.DATABASE_URL ? undefined : await startThrowawayPostgres();
  try {
    const databaseUrl = env.DATABASE_URL ?? postgres?.url("postgres") ?? "";
    const result = await createMigration({ databaseUrl, name });
    if (!result.migrationName) {
      process.stdout.write("schema.prisma matches the committed migrations: nothing to create\n");
    } else {
      process.stdout.write(`created prisma/migrations/${result.migrationName}/migration.sql\n`);
    }
    return 0;
  } finally {
    await postgres?.stop();
  }
}

const isMain =
  process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  // The engine leaves a 60 s timer behind, so exit explicitly either way.
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
