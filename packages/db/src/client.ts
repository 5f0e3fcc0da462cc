// The one way to get a Prisma client in this project: Prisma 7 talks to Postgres through a driver
// adapter, and every process (web, hub, tests) should build it the same way.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "./generated/prisma/client";

export type Db = PrismaClient;
/** The client handed to `db.$transaction(async (tx) => ...)`; services that write take this. */
export type Tx = Prisma.TransactionClient;

export function createPrismaClient(databaseUrl: string, opts: { maxConnections?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
