// Drives Prisma's schema engine as WebAssembly, because the Prisma CLI needs a native engine download
// that these machines cannot fetch (STACK.md landmines 3 and 4). Used to create migrations and by the
// drift test; applying committed migrations at start-up does not need any of this (see apply.ts).
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
  type SqlResultSet,
} from "@prisma/driver-adapter-utils";
import { PrismaPg } from "@prisma/adapter-pg";
import type * as SchemaEngineWasm from "@prisma/schema-engine-wasm";
import type { MigrationList, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm";
import pg from "pg";
import { lockfileName, readMigrationFiles } from "./migration-files";

export type { SchemaEngine } from "@prisma/schema-engine-wasm";

type SchemaEngineModule = typeof SchemaEngineWasm;

let enginePromise: Promise<SchemaEngineModule> | undefined;

/**
 * Instantiates the wasm by hand: a plain import of the package fails on Node 20 ("unknown file extension
 * .wasm"), so we compile the bytes ourselves and hand the exports to the wasm-bindgen glue.
 */
export function loadSchemaEngineModule(): Promise<SchemaEngineModule> {
  enginePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as SchemaEngineModule & {
      __wbg_set_wasm(exports: Record<string, unknown>): void;
    };
    const bytes = readFileSync(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
    // Our tsconfig has no DOM lib, where the WebAssembly typings live; this is all we use of it.
    const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const instance = new Instance(new Module(bytes), { "./schema_engine_bg.js": glue });
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
    g.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        // The engine reports a Rust panic here just before throwing; keep it visible.
        process.stderr.write(`schema engine panic: ${message}\n`);
      },
    };
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return enginePromise;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
}

// pg_catalog types adapter-pg cannot turn into Prisma column types. The engine introspects catalog
// tables whose columns have them, so we relabel them in pg's result metadata (see STACK.md landmine 4).
const OID_CHAR = 18;
const OID_NAME = 19;
const OID_TEXT = 25;
const OID_NAME_ARRAY = 1003;
const OID_TEXT_ARRAY = 1009;

/** Result rows of queries that returned `"char"` columns → the indexes of those columns. */
const charColumnsByRows = new WeakMap<object, number[]>();

type TypeParserSource = { getTypeParser(oid: number, format?: string): unknown };

class RelabellingClient extends pg.Client {
  // pg's overloads make a typed override impractical; we only post-process whatever query() returns.
  override query(...args: unknown[]): never {
    const [config] = args;
    if (config && typeof config === "object" && "types" in config) {
      const types = (config as { types?: TypeParserSource }).types;
      if (types) {
        // name[] has no text parser in pg-types; parse it like text[] so it arrives as an array.
        (config as { types: TypeParserSource }).types = {
          getTypeParser: (oid: number, format?: string) =>
            types.getTypeParser(oid === OID_NAME_ARRAY ? OID_TEXT_ARRAY : oid, format),
        };
      }
    }
    // pg.Pool#query calls us with a callback; a transaction's pool client gets a promise-style call.
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      args[last] = (error: unknown, result: unknown) =>
        callback(error, error ? result : relabelFields(result));
    }
    const result = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) return result.then(relabelFields) as never;
    return result as never;
  }
}

function relabelFields(result: unknown): unknown {
  const r = result as { fields?: { dataTypeID: number }[]; rows?: unknown[] } | undefined;
  if (!r?.fields) return result;
  const charColumns: number[] = [];
  r.fields.forEach((field, i) => {
    if (field.dataTypeID === OID_NAME) field.dataTypeID = OID_TEXT;
    else if (field.dataTypeID === OID_NAME_ARRAY) field.dataTypeID = OID_TEXT_ARRAY;
    else if (field.dataTypeID === OID_CHAR) {
      field.dataTypeID = OID_TEXT;
      charColumns.push(i);
    }
  });
  if (charColumns.length > 0 && r.rows) charColumnsByRows.set(r.rows, charColumns);
  return result;
}

/** adapter-pg returns pg's own rows array, which lets us find the `"char"` columns again. */
function withCharacterColumns<T extends SqlQueryable>(queryable: T): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result: SqlResultSet = await queryRaw(query);
    for (const i of charColumnsByRows.get(result.rows) ?? [])
      result.columnTypes[i] = ColumnTypeEnum.Character;
    return result;
  };
  return queryable;
}

function wrapAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  withCharacterColumns(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) =>
    withCharacterColumns(await startTransaction(isolationLevel));
  return adapter;
}

export interface PgConnectionConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Discrete fields, because PrismaPg given a connection string mishandles the shadow database. */
export function parseDatabaseUrl(databaseUrl: string): PgConnectionConfig {
  const url = new URL(databaseUrl);
  return {
    host: decodeURIComponent(url.hostname) || "localhost",
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres",
  };
}

/**
 * A migration-aware adapter factory for the engine. The shadow database is our own: adapter-pg's
 * connectToShadowDb either targets the main database or cannot drop the shadow one while connected.
 */
export function createMigrationAdapterFactory(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  const config = parseDatabaseUrl(databaseUrl);
  const poolConfig = (database: string): pg.PoolConfig => ({
    ...config,
    database,
    Client: RelabellingClient,
  });
  const main = new PrismaPg(poolConfig(config.database));

  return {
    provider: main.provider,
    adapterName: main.adapterName,
    async connect() {
      return wrapAdapter(await main.connect());
    },
    async connectToShadowDb() {
      const shadowName = `mailwarden_shadow_${randomUUID().replaceAll("-", "")}`;
      await runOnMaintenanceDb(config, `CREATE DATABASE "${shadowName}"`);
      const adapter = wrapAdapter(await new PrismaPg(poolConfig(shadowName)).connect());
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await runOnMaintenanceDb(config, `DROP DATABASE IF EXISTS "${shadowName}" WITH (FORCE)`);
      };
      return adapter;
    },
  };
}

async function runOnMaintenanceDb(config: PgConnectionConfig, sql: string): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Tables the migrations create that schema.prisma does not model, so the engine neither diffs nor drops
 * them: the mail log is partitioned by day, which Prisma cannot declare (packages/db/src/mail-log/).
 */
export const schemaFilters: SchemaFilter = { externalTables: ["public.MailLogRecord"], externalEnums: [] };

/** The migrations folder in the shape the engine wants, read fresh from disk. */
export function readMigrationsList(dir: string): MigrationList {
  const lockfilePath = path.join(dir, lockfileName);
  let lockfile: string | null = null;
  try {
    lockfile = readFileSync(lockfilePath, "utf8");
  } catch {
    lockfile = null;
  }
  return {
    baseDir: dir,
    shadowDbInitScript: "",
    lockfile: { path: lockfileName, content: lockfile },
    migrationDirectories: readMigrationFiles(dir).map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
    })),
  };
}

export interface OpenedSchemaEngine {
  engine: SchemaEngine;
  /** The schema file as the engine knows it, for createMigration/diff. */
  schemaFiles: { path: string; content: string }[];
  close(): void;
}

/** Opens an engine on `databaseUrl` for the given schema.prisma. Call close() and then exit the process. */
export async function openSchemaEngine(
  databaseUrl: string,
  schemaPath: string,
  log: (line: string) => void = () => {},
): Promise<OpenedSchemaEngine> {
  const { SchemaEngine } = await loadSchemaEngineModule();
  const content = readFileSync(schemaPath, "utf8");
  const factory = bindMigrationAwareSqlAdapterFactory(createMigrationAdapterFactory(databaseUrl));
  const engine = await SchemaEngine.new({ datamodels: [[schemaPath, content]] }, log, factory);
  return {
    engine,
    schemaFiles: [{ path: schemaPath, content }],
    close: () => engine.free(),
  };
}
