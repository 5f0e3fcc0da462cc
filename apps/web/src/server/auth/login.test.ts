// Sign-in as a user experiences it: wrong passwords lock the account, a TOTP code works once, a
// recovery code works once, and every failure lands in the audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as OTPAuth from "otpauth";
import type { Db } from "@mailwarden/db";
import { createTestRuntime, createUser, TEST_PASSWORD } from "../testing";
import { checkLogin, LoginError, MAX_FAILED_ATTEMPTS } from "./login";
import { beginTotpEnrollment, confirmTotpEnrollment } from "./totp";

let prisma: Db;
let stop: () => Promise<void>;

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
});
afterAll(async () => stop?.());

function codeFor(secret: string, at = Date.now()) {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: at,
  });
}

async function userWith2fa(email: string) {
  const user = await createUser(prisma, { email, providerRole: "PROVIDER_ADMIN" });
  const { secret } = await beginTotpEnrollment(prisma, user.id);
  // Enroll with the previous step's code so the current one is still unused for sign-in.
  const { recoveryCodes } = await confirmTotpEnrollment(
    prisma,
    user.id,
    codeFor(secret, Date.now() - 30_000),
    null,
  );
  return { user, secret, recoveryCodes };
}

describe("password sign-in", () => {
  it("accepts the right password and refuses a wrong one with a generic message", async () => {
    await createUser(prisma, { email: "plain@example.test" });
    expect(
      (await checkLogin(prisma, { email: "plain@example.test", password: TEST_PASSWORD, ip: "10.0.0.1" })).ok,
    ).toBe(true);
    expect(
      await checkLogin(prisma, { email: "plain@example.test", password: "nope", ip: "10.0.0.1" }),
    ).toEqual({ ok: false, error: LoginError.invalid });
    expect(
      await checkLogin(prisma, { email: "nobody@example.test", password: "nope", ip: "10.0.0.1" }),
    ).toEqual({ ok: false, error: LoginError.invalid });
  });

  it(`locks the account after ${MAX_FAILED_ATTEMPTS} wrong passwords, even for the right one, and audits it`, async () => {
    const user = await createUser(prisma, { email: "victim@example.test" });
    for (let i = 0; i < MAX_FAILED_ATTEMPTS - 1; i++) {
      expect(
        (await checkLogin(prisma, { email: user.email, password: `wrong-${i}`, ip: "10.0.0.2" })).ok,
      ).toBe(false);
    }
    expect(await checkLogin(prisma, { email: user.email, password: "wrong-last", ip: "10.0.0.2" })).toEqual({
      ok: false,
      error: LoginError.locked,
    });
    expect(await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip: "10.0.0.2" })).toEqual({
      ok: false,
      error: LoginError.locked,
    });
    const events = await prisma.auditEvent.findMany({
      where: { actorUserId: user.id },
      select: { type: true },
    });
    expect(events.map((e) => e.type)).toContain("USER_LOCKED_OUT");
    expect(events.filter((e) => e.type === "USER_LOGIN_FAILED").length).toBeGreaterThanOrEqual(
      MAX_FAILED_ATTEMPTS,
    );
  });
});

describe("second factor", () => {
  it("asks for a code after the password, accepts a valid TOTP code once, refuses its replay", async () => {
    const { user, secret } = await userWith2fa("totp@example.test");
    expect(await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip: "10.0.0.3" })).toEqual({
      ok: false,
      error: LoginError.secondFactorRequired,
    });
    const code = codeFor(secret);
    expect(
      (
        await checkLogin(prisma, {
          email: user.email,
          password: TEST_PASSWORD,
          totpCode: code,
          ip: "10.0.0.3",
        })
      ).ok,
    ).toBe(true);
    expect(
      await checkLogin(prisma, {
        email: user.email,
        password: TEST_PASSWORD,
        totpCode: code,
        ip: "10.0.0.3",
      }),
    ).toEqual({ ok: false, error: LoginError.invalidCode });
  });

  it("refuses a code from the future window", async () => {
    const { user, secret } = await userWith2fa("future@example.test");
    const future = codeFor(secret, Date.now() + 60_000);
    expect(
      await checkLogin(prisma, {
        email: user.email,
        password: TEST_PASSWORD,
        totpCode: future,
        ip: "10.0.0.4",
      }),
    ).toEqual({ ok: false, error: LoginError.invalidCode });
  });

  it("a recovery code works exactly once", async () => {
    const { user, recoveryCodes } = await userWith2fa("recovery@example.test");
    expect(recoveryCodes).toHaveLength(10);
    const code = recoveryCodes[0]!;
    expect(
      (
        await checkLogin(prisma, {
          email: user.email,
          password: TEST_PASSWORD,
          recoveryCode: code,
          ip: "10.0.0.5",
        })
      ).ok,
    ).toBe(true);
    expect(
      await checkLogin(prisma, {
        email: user.email,
        password: TEST_PASSWORD,
        recoveryCode: code,
        ip: "10.0.0.5",
      }),
    ).toEqual({ ok: false, error: LoginError.invalidRecoveryCode });
    expect(await prisma.recoveryCode.count({ where: { userId: user.id, usedAt: null } })).toBe(9);
  });

  it("locks out after repeated wrong codes", async () => {
    const { user, secret } = await userWith2fa("guesser@example.test");
    for (let i = 0; i < MAX_FAILED_ATTEMPTS - 1; i++) {
      expect(
        (
          await checkLogin(prisma, {
            email: user.email,
            password: TEST_PASSWORD,
            totpCode: "000000",
            ip: "10.0.0.6",
          })
        ).ok,
      ).toBe(false);
    }
    expect(
      await checkLogin(prisma, {
        email: user.email,
        password: TEST_PASSWORD,
        totpCode: "999999",
        ip: "10.0.0.6",
      }),
    ).toEqual({ ok: false, error: LoginError.locked });
    expect(
      await checkLogin(prisma, {
        email: user.email,
        password: TEST_PASSWORD,
        totpCode: codeFor(secret),
        ip: "10.0.0.6",
      }),
    ).toEqual({ ok: false, error: LoginError.locked });
  });

  it("stores the TOTP secret encrypted, never in clear", async () => {
    const { user, secret } = await userWith2fa("sealed@example.test");
    const row = await prisma.totpSecret.findUniqueOrThrow({ where: { userId: user.id } });
    expect(row.encryptedSecret).not.toContain(secret);
    expect(row.encryptedSecret.startsWith("v1.")).toBe(true);
  });
});
