// Where the repository's shared folders are, found from this file rather than the working directory so
// every workspace (web, hub, agent tests) resolves the same migrations and data folder.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root (this file lives in <repo>/packages/db/src). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const schemaPath = path.join(repoRoot, "prisma", "schema.prisma");
export const migrationsDir = path.join(repoRoot, "prisma", "migrations");
