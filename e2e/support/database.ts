// Direct access to the console's own database, for facts a journey cannot produce through a real agent
// in a test's time (e.g. bounces on three different days). The console's embedded PostgreSQL is the one
// playwright.config.ts starts: its port and the password file beside its data directory.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";

async function withConsoleDatabase<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const consoleDir = path.join(process.env.MW_E2E_DIR!, "console");
  const client = new pg.Client({
    host: "127.0.0.1",
    port: Number(process.env.MW_E2E_PORT) + 51000,
    user: "postgres",
    password: fs.readFileSync(path.join(consoleDir, "postgres-password"), "utf8").trim(),
    database: "mailwarden",
  });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Merges `fields` into the posture the server named `serverName` last reported, as if it had said so. */
export function reportPosture(serverName: string, fields: Record<string, unknown>): Promise<void> {
  return withConsoleDatabase(async (client) => {
    const { rowCount } = await client.query(
      `UPDATE "Server" SET posture = COALESCE(posture, '{}'::jsonb) || $2::jsonb, "postureAt" = now()
       WHERE name = $1 AND "revokedAt" IS NULL`,
      [serverName, JSON.stringify(fields)],
    );
    if (rowCount !== 1) throw new Error(`expected one server named ${serverName}, updated ${rowCount}`);
  });
}

/**
 * A `gap` record from the server named `serverName`, as its agent sends one when its spool overflowed:
 * sequence numbers `fromSeq`..`toSeq` lost. Filed now (today's partition exists once the agent shipped).
 */
export function recordLogGap(serverName: string, fromSeq: number, toSeq: number): Promise<void> {
  return withConsoleDatabase(async (client) => {
    const record = {
      seq: toSeq + 1,
      at: new Date().toISOString(),
      type: "gap",
      fromSeq,
      toSeq,
      reason: "spool-full",
    };
    const { rowCount } = await client.query(
      `INSERT INTO "MailLogRecord" ("serverId", seq, at, "tenantId", type, record)
       SELECT id, $2, $3, "tenantId", 'gap', $4::jsonb FROM "Server" WHERE name = $1 AND "revokedAt" IS NULL`,
      [serverName, record.seq, record.at, JSON.stringify(record)],
    );
    if (rowCount !== 1) throw new Error(`expected one server named ${serverName}, stored ${rowCount}`);
  });
}
