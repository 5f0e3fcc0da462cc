// The credentials check behind next-auth's authorize(), in cal.com's order: waits owed by earlier
// failures (per account and address, ./sign-in-limits.ts), password, then a recovery code (consumed) or a
// TOTP code. Every failure is audited. Answers never tell whether an account exists: an unknown account
// gets the same "invalid" and the same "wait" messages as a known one.
import { writeAudit, type Db } from "@mailwarden/db";
import { getRuntime } from "../runtime";
import { unseal } from "../secrets";
import { verifyPassword } from "../passwords";
import { recordPasswordStrength } from "./console-password";
import { clearSignInFailures, describeWait, recordSignInFailure, signInWaitMs } from "./sign-in-limits";
import { checkTotpCode, hashRecoveryCode } from "./totp";

export const LoginError = {
  invalid: "Invalid email or password.",
  wait: (ms: number) =>
    `Too many failed attempts to sign in to this account from your address. Try again in ${describeWait(ms)}.`,
  disabled: "This account is locked by an administrator. Ask them to unlock it.",
  secondFactorRequired: "second-factor-required",
  invalidCode: "That authentication code is not valid.",
  invalidRecoveryCode: "That recovery code is not valid or was already used.",
} as const;

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

  const address = input.ip ?? "unknown";
  const waitMs = await signInWaitMs(prisma, email, address);
  if (waitMs > 0) {
    await audit("USER_LOGIN_FAILED", `Sign-in refused for ${email} from ${address}: waiting after failures`);
    return { ok: false, error: LoginError.wait(waitMs) };
  }

  const fail = async (error: string, why: string): Promise<LoginResult> => {
    const wait = await recordSignInFailure(prisma, email, address);
    await audit(
      "USER_LOGIN_FAILED",
      user ? `Sign-in failed for ${email}: ${why}` : `Sign-in failed for unknown account ${email}`,
    );
    if (wait > 0) {
      await audit(
        "USER_LOCKED_OUT",
        `Sign-in to ${email} from ${address} paused for ${describeWait(wait * 1000)}`,
      );
      return { ok: false, error: LoginError.wait(wait * 1000) };
    }
    return { ok: false, error };
  };

  const passwordOk = await verifyPassword(user?.password?.hash ?? DUMMY_HASH, input.password);
  if (!user || !user.password || !passwordOk) return fail(LoginError.invalid, "wrong password");
  if (user.disabledAt) {
    await audit("USER_LOGIN_FAILED", `Sign-in refused for ${email}: locked by an administrator`);
    return { ok: false, error: LoginError.disabled };
  }

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
    data: { lastLoginAt: new Date() },
  });
  await clearSignInFailures(prisma, email, address);
  await audit("USER_LOGIN", `${email} signed in`);
  await recordPasswordStrength(prisma, user, input.password);
  return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
}
