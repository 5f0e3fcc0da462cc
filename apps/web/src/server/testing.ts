// Test support: a migrated database wired into the runtime, and a caller for the real tRPC router
// acting as a given user — the same code path as the HTTP API, minus HTTP.
import { randomBytes } from "node:crypto";
import { createTestDatabase } from "@mailwarden/db/testing";
import type { Db, Role } from "@mailwarden/db";
import { setRuntime } from "./runtime";
import { deriveAuthSecret } from "./secrets";
import { hashPassword } from "./passwords";
import { createCaller } from "./trpc/root";

export async function createTestRuntime() {
  const db = await createTestDatabase();
  const secretKey = randomBytes(32);
  setRuntime({
    prisma: db.prisma,
    databaseUrl: db.url,
    secretKey,
    authSecret: deriveAuthSecret(secretKey),
    publicUrl: "http://localhost:3999",
    sessionMaxAgeSeconds: 3600,
  });
  return db;
}

export function callerFor(prisma: Db, userId: string | null) {
  return createCaller({ prisma, userId, ip: "127.0.0.1" });
}

export const TEST_PASSWORD = "Correct-Horse-42-Battery";

export async function createUser(
  prisma: Db,
  input: {
    email: string;
    providerRole?: Role;
    membership?: { tenantId: string; role: Role; domainIds?: string[] };
  },
) {
  const hash = await hashPassword(TEST_PASSWORD);
  return prisma.user.create({
    data: {
      email: input.email,
      name: input.email.split("@")[0]!,
      providerRole: input.providerRole ?? null,
      password: { create: { hash } },
      memberships: input.membership
        ? {
            create: {
              tenantId: input.membership.tenantId,
              role: input.membership.role,
              domains: { create: (input.membership.domainIds ?? []).map((domainId) => ({ domainId })) },
            },
          }
        : undefined,
    },
  });
}
