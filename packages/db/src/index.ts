// Public surface of @mailwarden/db: the Prisma client and types, start-up (embedded or DATABASE_URL),
export * from "./generated/prisma/enums";
export { Prisma, PrismaClient } from "./generated/prisma/client";
export type * from "./generated/prisma/models";
export { createPrismaClient, type Db, type Tx } from "./client";
export { applyMigrations, MigrationError } from "./migrations/apply";
