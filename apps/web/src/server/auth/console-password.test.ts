// Row 14 for console users, as they experience it: a password that met the policy when it was set but
// not the customer's tightened policy is flagged at the next sign-in (with the reason); changing it needs
// the current password, must meet the policy, is audited, clears the flag, and the new one signs in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { savePolicyOverrides, type Db } from "@mailwarden/db";
import { defaultPolicy } from "@mailwarden/policy";
import { callerFor, createTestRuntime, createUser, TEST_PASSWORD } from "../testing";
import { checkLogin } from "./login";

let prisma: Db;
let stop: () => Promise<void>;
let userId: string;
const email = "dana@strict-customer.test";
const NEW_PASSWORD = "Lantern-orchard-Sextant-Quill-2026-x";

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenant = await prisma.tenant.create({ data: { name: "Strict customer", slug: "strict-customer" } });
  userId = (await createUser(prisma, { email, membership: { tenantId: tenant.id, role: "CUSTOMER_ADMIN" } }))
    .id;
  // the customer asks for 30 characters; TEST_PASSWORD has 24
  await savePolicyOverrides(prisma, {
    scope: "CUSTOMER",
    tenantId: tenant.id,
    settings: { passwordPolicy: { ...defaultPolicy.passwordPolicy, minLength: 30 } },
  });
});
afterAll(async () => stop?.());

describe("console passwords below the policy in force", () => {
  it("flags the account at sign-in, with the reason", async () => {
    expect((await checkLogin(prisma, { email, password: TEST_PASSWORD, ip: "10.1.0.1" })).ok).toBe(true);
    const me = await callerFor(prisma, userId).auth.me();
    expect(me.weakPasswordProblems).toEqual(["Use at least 30 characters."]);
    expect(me.passwordPolicy.minLength).toBe(30);
  });

  it("refuses a change without the right current password, or to a password below the policy", async () => {
    const caller = callerFor(prisma, userId);
    await expect(
      caller.auth.changePassword({ currentPassword: "not-it", newPassword: NEW_PASSWORD }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Your current password is not correct." });
    await expect(
      caller.auth.changePassword({ currentPassword: TEST_PASSWORD, newPassword: "Short-but-Mixed-1" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/at least 30 characters/),
    });
  });

  it("changes it, audited; the flag is gone and only the new password signs in", async () => {
    await callerFor(prisma, userId).auth.changePassword({
      currentPassword: TEST_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect((await callerFor(prisma, userId).auth.me()).weakPasswordProblems).toEqual([]);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "USER_PASSWORD_CHANGED", actorUserId: userId },
    });
    expect(audit.summary).toBe(`${email} changed their password (signed out everywhere)`);
    expect((await checkLogin(prisma, { email, password: TEST_PASSWORD, ip: "10.1.0.1" })).ok).toBe(false);
    expect((await checkLogin(prisma, { email, password: NEW_PASSWORD, ip: "10.1.0.1" })).ok).toBe(true);
    expect((await callerFor(prisma, userId).auth.me()).weakPasswordProblems).toEqual([]);
  });
});
