// What every long-running process calls first: use DATABASE_URL when given, otherwise start (and keep,
// across restarts) the project's own PostgreSQL under .data/, then bring the schema up to date.
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import {
  ensureTraversableParents,
  generatePassword,
  isClusterInitialised,
  startEmbeddedPostgres,
} from "./embedded";
import { env } from "./env";
import { applyMigrations } from "./migrations/apply";

export interface StartDatabaseOptions {
  /** Cluster directory; default `<MAILWARDEN_DATA_DIR>/postgres`. The password lives beside it. */
  dataDir?: string;
  /** Default 54329. */
  port?: number;
  log?: (line: string) => void;
}

export interface StartedDatabase {
  url: string;
  /** True when this process started its own PostgreSQL. */
  embedded: boolean;
  /** Stops the embedded server; a no-op with DATABASE_URL. */
  stop(): Promise<void>;
}

export const defaultEmbeddedPort = 54329;
const appDatabase = "mailwarden";

/**
 * The superuser password, generated on first start and kept in a 0600 file next to the data directory:
 * there are no fixed credentials, and a cluster without its password file cannot be used.
 */
async function readOrCreatePassword(passwordFile: string, isInitialised: boolean): Promise<string> {
  try {
    const password = (await fs.readFile(passwordFile, "utf8")).trim();
    if (password) return password;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (isInitialised) {
    throw new Error(
      `${passwordFile} is missing, so the existing PostgreSQL cluster next to it cannot be used. ` +
        `Restore the file, or remove the cluster directory to start over with an empty database.`,
    );
  }
  const password = generatePassword();
  await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await fs.chmod(passwordFile, 0o600);
  return password;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function startDatabase(opts: StartDatabaseOptions = {}): Promise<StartedDatabase> {
  const log = opts.log ?? (() => {});
  if (env.DATABASE_URL) {
    const applied = await applyMigrations(env.DATABASE_URL);
    if (applied.applied.length) log(`applied migrations: ${applied.applied.join(", ")}`);
    return { url: env.DATABASE_URL, embedded: false, stop: async () => {} };
  }

  const dataDir = path.resolve(opts.dataDir ?? path.join(env.MAILWARDEN_DATA_DIR, "postgres"));
  await ensureTraversableParents(dataDir);
  const password = await readOrCreatePassword(
    path.join(path.dirname(dataDir), "postgres-password"),
    isClusterInitialised(dataDir),
  );
  const startedAt = Date.now();
  const postgres = await startEmbeddedPostgres({
    dataDir,
    port: opts.port ?? defaultEmbeddedPort,
    password,
    log,
  });
  log(
    `embedded PostgreSQL ready on 127.0.0.1:${postgres.port} in ${Date.now() - startedAt} ms (data ${dataDir})`,
  );
  try {
    await ensureDatabase(postgres.url("postgres"), appDatabase);
    const url = postgres.url(appDatabase);
    const applied = await applyMigrations(url);
    if (applied.applied.length) log(`applied migrations: ${applied.applied.join(", ")}`);
    return { url, embedded: true, stop: postgres.stop };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}
