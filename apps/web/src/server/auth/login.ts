// The credentials check behind next-auth's authorize(), in cal.com's order: lockout, rate limit,
// password, then a recovery code (consumed) or a TOTP code. Every failure is audited; five failures
// lock the account for 15 minutes.
import { writeAudit, type Db } from "@mailwarden/db";
import { getRuntime } from "../runtime";
import { unseal } from "../secrets";
import { verifyPassword } from "../passwords";
import { recordPasswordStrength } from "./console-password";
import { RateLimiter } from "./rate-limit";
import { checkTotpCode, hashRecoveryCode } from "./totp";

export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MINUTES = 15;

export const LoginError = {
  invalid: "Invalid email or password.",
  locked: `Too many failed attempts. This account is locked for ${LOCKOUT_MINUTES} minutes.`,
  rateLimited: "Too many sign-in attempts from your address. Wait a few minutes and try again.",
  secondFactorRequired: "second-factor-required",
  invalidCode: "That authentication code is not valid.",
  invalidRecoveryCode: "That recovery code is not valid or was already used.",
} as const;

const ipLimiter = new RateLimiter(60, 15 * 60 * 1000);

// A real hash to compare against when the email is unknown, so timing does not reveal accounts.
const DUMMY_HASH =
  "$argon2id$v=19$m=65536,p=4,t=3$2rhzH5tSrtZjH15aAScHhw$HyIyQfFDb73mZDoDcs7zIAdpc3tVxhupAseNMZNCijg";

export interface LoginInput {
  email: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
  ip: string | null;
}

export type LoginResult =
  { ok: true; user: { id: string; email: string; name: string } } | { ok: false; error: string };

export async function checkLogin(prisma: Db, input: LoginInput): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase();
  const user = await prisma.user.findUnique({ where: { email }, include: { password: true, totp: true } });
  const audit = (
    type: "USER_LOGIN_FAILED" | "USER_LOCKED_OUT" | "USER_LOGIN" | "RECOVERY_CODE_USED",
    summary: string,
  ) =>
    writeAudit(prisma, {
      type,
      actorType: "USER",
      actorUserId: user?.id ?? null,
      actorLabel: email,
      targetType: "user",
      targetId: user?.id,
      summary,
      ip: input.ip,
    });

  if (user?.lockedUntil && user.lockedUntil > new Date()) {
    await audit("USER_LOGIN_FAILED", `Sign-in refused for ${email}: account locked`);
    return { ok: false, error: LoginError.locked };
  }
  if (!ipLimiter.attempt(input.ip ?? "unknown")) {
    await audit(
      "USER_LOGIN_FAILED",
      `Sign-in refused for ${email}: rate limit for ${input.ip ?? "unknown address"}`,
    );
    return { ok: false, error: LoginError.rateLimited };
  }

  const fail = async (error: string, why: string): Promise<LoginResult> => {
    if (!user) {
      await audit("USER_LOGIN_FAILED", `Sign-in failed for unknown account ${email}`);
      return { ok: false, error };
    }
    const failed = user.failedLoginCount + 1;
    const lock = failed >= MAX_FAILED_ATTEMPTS;
    await prisma.user.update({
      where: { id: user.id },
      data: {
        failedLoginCount: lock ? 0 : failed,
        lockedUntil: lock ? new Date(Date.now() + LOCKOUT_MINUTES * 60_000) : undefined,
      },
    });
    await audit("USER_LOGIN_FAILED", `Sign-in failed for ${email}: ${why}`);
    if (lock) {
      await audit(
        "USER_LOCKED_OUT",
        `${email} locked for ${LOCKOUT_MINUTES} minutes after ${MAX_FAILED_ATTEMPTS} failed attempts`,
      );
      return { ok: false, error: LoginError.locked };
    }
    return { ok: false, error };
  };

  const passwordOk = await verifyPassword(user?.password?.hash ?? DUMMY_HASH, input.password);
  if (!user || !user.password || !passwordOk) return fail(LoginError.invalid, "wrong password");

  if (user.totp?.enabledAt) {
    if (input.recoveryCode) {
      const used = await prisma.recoveryCode.updateMany({
        where: { userId: user.id, codeHash: hashRecoveryCode(input.recoveryCode), usedAt: null },
        data: { usedAt: new Date() },
      });
      if (used.count !== 1) return fail(LoginError.invalidRecoveryCode, "invalid recovery code");
      await audit("RECOVERY_CODE_USED", `${email} signed in with a recovery code`);
    } else if (input.totpCode) {
      const secret = unseal(user.totp.encryptedSecret, getRuntime().secretKey);
      const step = checkTotpCode(secret, user.email, input.totpCode);
      if (step === null) return fail(LoginError.invalidCode, "invalid authentication code");
      // Accept each time step once: a code seen on the wire cannot be replayed.
      const claimed = await prisma.totpSecret.updateMany({
        where: { userId: user.id, OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: BigInt(step) } }] },
        data: { lastUsedStep: BigInt(step) },
      });
      if (claimed.count !== 1) return fail(LoginError.invalidCode, "authentication code replayed");
    } else {
      return { ok: false, error: LoginError.secondFactorRequired };
    }
  }

  await prisma.user.update({
    where: { id: user.id },
    data: { failedLoginCount: 0, lockedUntil: null, lastLoginAt: new Date() },
  });
  await audit("USER_LOGIN", `${email} signed in`);
  await recordPasswordStrength(prisma, user, input.password);
  return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
}
