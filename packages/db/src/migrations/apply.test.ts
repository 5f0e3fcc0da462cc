// The start-up migration runner: idempotent, safe when several processes start at once, and recording
// rows `prisma migrate deploy` would recognise.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing";
import { applyMigrations } from "./apply";
import { readMigrationFiles } from "./migration-files";
import { migrationsDir } from "../paths";

async function migrationRows(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe("applyMigrations", () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.stop();
    db = undefined;
  });

  it("applies nothing the second time and records each migration once", async () => {
    db = await createTestDatabase(); // already migrated once
    expect(await applyMigrations(db.url)).toEqual({ applied: [] });
    expect(await applyMigrations(db.url)).toEqual({ applied: [] });

    const committed = readMigrationFiles(migrationsDir);
    expect(committed.length).toBeGreaterThan(0);
    const rows = await migrationRows(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(committed.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(committed[i]?.checksum);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("lets concurrent callers on an empty database apply each migration exactly once", async () => {
    db = await createTestDatabase();
    const empty = new URL(db.url);
    empty.pathname = `/${empty.pathname.slice(1)}_empty`;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${empty.pathname.slice(1)}"`);
    try {
      const results = await Promise.all([1, 2, 3].map(() => applyMigrations(empty.toString())));
      const allApplied = results.flatMap((r) => r.applied);
      const committed = readMigrationFiles(migrationsDir).map((m) => m.name);
      expect(allApplied.sort()).toEqual(committed.sort());
      expect((await migrationRows(empty.toString())).length).toBe(committed.length);
    } finally {
      await admin.query(`DROP DATABASE "${empty.pathname.slice(1)}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it("rolls a failing migration back completely, leaving no row behind", async () => {
    db = await createTestDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), "mailwarden-migrations-"));
    cpSync(migrationsDir, dir, { recursive: true });
    mkdirSync(path.join(dir, "29991231000000_broken"));
    writeFileSync(
      path.join(dir, "29991231000000_broken", "migration.sql"),
      `CREATE TABLE "Half" (id int);\nSELECT * FROM "DoesNotExist";\n`,
    );
    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(
      /29991231000000_broken failed/,
    );
    const rows = await migrationRows(db.url);
    expect(rows.map((r) => r.migration_name)).not.toContain("29991231000000_broken");
    const half = await db.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'Half'`;
    expect(half[0]?.n).toBe(0n);
    rmSync(dir, { recursive: true, force: true });
  });
});
