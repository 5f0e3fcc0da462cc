// 2FA is mandatory for provider staff and for users of a customer that requires it: until they enroll,
// every tenant procedure refuses them; users of other customers are not affected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { callerFor, createTestRuntime, createUser } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
});
afterAll(async () => stop?.());

describe("mandatory two-factor authentication", () => {
  it("holds a provider admin without 2FA at enrollment", async () => {
    const admin = await createUser(prisma, {
      email: "new-admin@provider.test",
      providerRole: "PROVIDER_ADMIN",
    });
    const caller = callerFor(prisma, admin.id);
    await expect(caller.customer.list()).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "Set up two-factor authentication first.",
    });
    expect(await caller.auth.me()).toMatchObject({ needs2faSetup: true, totpEnabled: false });
  });

  it("applies to a customer's users once the customer requires it, and only to them", async () => {
    const strict = await prisma.tenant.create({ data: { name: "Strict", slug: "strict", require2fa: true } });
    const relaxed = await prisma.tenant.create({ data: { name: "Relaxed", slug: "relaxed" } });
    const strictUser = await createUser(prisma, {
      email: "a@strict.test",
      membership: { tenantId: strict.id, role: "CUSTOMER_ADMIN" },
    });
    const relaxedUser = await createUser(prisma, {
      email: "b@relaxed.test",
      membership: { tenantId: relaxed.id, role: "CUSTOMER_ADMIN" },
    });
    await expect(callerFor(prisma, strictUser.id).domain.list({})).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await callerFor(prisma, relaxedUser.id).domain.list({})).toEqual([]);

    await prisma.totpSecret.create({
      data: { userId: strictUser.id, encryptedSecret: "sealed", enabledAt: new Date() },
    });
    expect(await callerFor(prisma, strictUser.id).domain.list({})).toEqual([]);
  });

  it("refuses every tenant procedure without a session", async () => {
    await expect(callerFor(prisma, null).domain.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
