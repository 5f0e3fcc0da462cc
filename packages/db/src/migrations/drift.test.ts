// Fails when prisma/schema.prisma and the committed migrations disagree — i.e. someone edited the schema
// and forgot `npm run db:migrate:create -- <name>` — and checks that Prisma's own engine accepts the
// _prisma_migrations rows our runner writes.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationsDir, schemaPath } from "../paths";
import { createTestDatabase, type TestDatabase } from "../testing";
import { createMigration } from "./create-migration";
import {
  schemaFilters,
  openSchemaEngine,
  readMigrationsList,
  type OpenedSchemaEngine,
} from "./schema-engine";

/** The SQL that would bring the committed migrations up to `schema`; empty when they agree. */
async function pendingSql(engine: OpenedSchemaEngine, schemaFiles = engine.schemaFiles): Promise<string> {
  const result = await engine.engine.diff({
    from: { tag: "migrations", ...readMigrationsList(migrationsDir) },
    to: { tag: "schemaDatamodel", files: schemaFiles },
    script: true,
    exitCode: true,
    filters: schemaFilters,
  });
  return result.exitCode === 0 ? "" : (result.stdout ?? "").trim();
}

describe("schema.prisma and prisma/migrations", () => {
  let db: TestDatabase;
  let opened: OpenedSchemaEngine;

  beforeAll(async () => {
    db = await createTestDatabase(); // migrated by our own runner
    opened = await openSchemaEngine(db.url, schemaPath);
  });
  afterAll(async () => {
    opened?.close();
    await db?.stop();
  });

  it("agree: the committed migrations produce exactly the schema", async () => {
    const sql = await pendingSql(opened);
    expect(
      sql,
      `schema.prisma changed without a migration; run npm run db:migrate:create -- <name>:\n${sql}`,
    ).toBe("");
  });

  it("would notice a schema change that has no migration", async () => {
    const [file] = opened.schemaFiles;
    const changed = `${file?.content}\nmodel DriftProbe {\n  id String @id\n}\n`;
    const sql = await pendingSql(opened, [{ path: file?.path ?? "schema.prisma", content: changed }]);
    expect(sql).toContain('CREATE TABLE "DriftProbe"');
  });

  it("Prisma's engine sees the runner's history as complete and unedited", async () => {
    const diagnosis = await opened.engine.diagnoseMigrationHistory({
      migrationsList: readMigrationsList(migrationsDir),
      optInToShadowDatabase: false,
      filters: schemaFilters,
    });
    expect(diagnosis).toMatchObject({
      history: null,
      failedMigrationNames: [],
      editedMigrationNames: [],
      hasMigrationsTable: true,
    });
  });

  it("creates no new migration from an unchanged schema (the db:migrate:create path)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mailwarden-migrations-"));
    try {
      // Work on a copy so nothing can be written into the repository.
      cpSync(migrationsDir, dir, { recursive: true });
      const result = await createMigration({ databaseUrl: db.url, name: "noop", migrationsDir: dir });
      expect(result).toEqual({ migrationName: null, sql: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
