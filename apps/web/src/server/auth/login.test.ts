// Sign-in as a user experiences it: wrong passwords make that address wait (never the owner elsewhere,
// and the same for an unknown account), a TOTP code works once, a recovery code works once, and every
// failure lands in the audit log.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as OTPAuth from "otpauth";
import type { Db } from "@mailwarden/db";
import { createTestRuntime, createUser, TEST_PASSWORD } from "../testing";
import { checkLogin, LoginError } from "./login";
import { FREE_FAILURES } from "./sign-in-limits";
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

  it("an account locked by an administrator is refused even with the right password", async () => {
    const user = await createUser(prisma, { email: "disabled@example.test" });
    await prisma.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    expect(await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip: "10.0.0.9" })).toEqual({
      ok: false,
      error: LoginError.disabled,
    });
    expect(await checkLogin(prisma, { email: user.email, password: "nope", ip: "10.0.0.9" })).toEqual({
      ok: false,
      error: LoginError.invalid,
    });
  });
});

describe("guessing", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function failTimes(email: string, ip: string, times: number) {
    const answers: string[] = [];
    for (let i = 0; i < times; i++) {
      const result = await checkLogin(prisma, { email, password: `wrong-${i}`, ip });
      answers.push(result.ok ? "ok" : result.error);
    }
    return answers;
  }

  it(`a stranger's ${FREE_FAILURES} wrong passwords make their address wait, not the owner at another`, async () => {
    const user = await createUser(prisma, { email: "victim@example.test" });
    const answers = await failTimes(user.email, "198.51.100.66", FREE_FAILURES);
    expect(answers.slice(0, -1)).toEqual(Array(FREE_FAILURES - 1).fill(LoginError.invalid));
    expect(answers.at(-1)).toBe(LoginError.wait(60_000));
    // The stranger's address waits, even with the right password...
    expect(
      await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip: "198.51.100.66" }),
    ).toEqual({ ok: false, error: LoginError.wait(60_000) });
    // ...while the owner signs in from theirs.
    expect(
      (await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip: "203.0.113.7" })).ok,
    ).toBe(true);
    const events = await prisma.auditEvent.findMany({
      where: { actorUserId: user.id },
      select: { type: true },
    });
    expect(events.map((e) => e.type)).toContain("USER_LOCKED_OUT");
    expect(events.filter((e) => e.type === "USER_LOGIN_FAILED").length).toBeGreaterThanOrEqual(FREE_FAILURES);
  });

  it("an unknown account gets exactly the answers a real one gets", async () => {
    await createUser(prisma, { email: "real@example.test" });
    const real = await failTimes("real@example.test", "198.51.100.70", FREE_FAILURES + 1);
    const unknown = await failTimes("ghost@example.test", "198.51.100.70", FREE_FAILURES + 1);
    expect(unknown).toEqual(real);
    expect(real.at(-1)).toMatch(/^Too many failed attempts/);
  });

  it("each further failure after the wait doubles it, and a success forgets the failures", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const user = await createUser(prisma, { email: "patient@example.test" });
    const ip = "198.51.100.80";
    await failTimes(user.email, ip, FREE_FAILURES);
    vi.setSystemTime(Date.now() + 61_000);
    expect(await failTimes(user.email, ip, 1)).toEqual([LoginError.wait(120_000)]);
    vi.setSystemTime(Date.now() + 60_000);
    expect((await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip })).ok).toBe(false);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, ip })).ok).toBe(true);
    // Forgotten: the next wrong password is a plain failure again.
    expect(await failTimes(user.email, ip, 1)).toEqual([LoginError.invalid]);
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

  it("wrong codes count like wrong passwords: the guessing address waits", async () => {
    const { user, secret } = await userWith2fa("guesser@example.test");
    const attempt = (totpCode: string) =>
      checkLogin(prisma, { email: user.email, password: TEST_PASSWORD, totpCode, ip: "10.0.0.6" });
    for (let i = 0; i < FREE_FAILURES - 1; i++) expect((await attempt("000000")).ok).toBe(false);
    expect(await attempt("999999")).toEqual({ ok: false, error: LoginError.wait(60_000) });
    expect(await attempt(codeFor(secret))).toEqual({ ok: false, error: LoginError.wait(60_000) });
  });

  it("stores the TOTP secret encrypted, never in clear", async () => {
    const { user, secret } = await userWith2fa("sealed@example.test");
    const row = await prisma.totpSecret.findUniqueOrThrow({ where: { userId: user.id } });
    expect(row.encryptedSecret).not.toContain(secret);
    expect(row.encryptedSecret.startsWith("v1.")).toBe(true);
  });
});
