// TOTP (RFC 6238) with otpauth: enrollment with a QR code, verification with one step of clock drift
// backwards and none forwards, replay refused per time step. Recovery codes: ten, shown once, stored as
// hashes, each consumed on use.
import { createHash, randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import QRCode from "qrcode";
import { writeAudit, type Db } from "@mailwarden/db";
import { AppError } from "../errors";
import { getRuntime } from "../runtime";
import { seal, unseal } from "../secrets";

const PERIOD = 30;
export const RECOVERY_CODE_COUNT = 10;

function totpFor(secretBase32: string, email: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer: "Mailwarden",
    label: email,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  });
}

export function hashRecoveryCode(code: string): string {
  return createHash("sha256")
    .update(code.replace(/[^a-z0-9]/gi, "").toLowerCase())
    .digest("hex");
}

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = randomBytes(5).toString("hex");
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
}

/** Starts (or restarts) enrollment: a new secret, not active until confirmed with a valid code. */
export async function beginTotpEnrollment(prisma: Db, userId: string) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, include: { totp: true } });
  if (user.totp?.enabledAt) throw new AppError("CONFLICT", "Two-factor authentication is already on.");
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  const { secretKey } = getRuntime();
  await prisma.totpSecret.upsert({
    where: { userId },
    create: { userId, encryptedSecret: seal(secret, secretKey) },
    update: { encryptedSecret: seal(secret, secretKey), enabledAt: null, lastUsedStep: null },
  });
  const uri = totpFor(secret, user.email).toString();
  return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
}

/** Returns the accepted time step, or null. One step back allowed, none forward. */
export function checkTotpCode(
  secretBase32: string,
  email: string,
  code: string,
  now = Date.now(),
): number | null {
  const cleaned = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(cleaned)) return null;
  const delta = totpFor(secretBase32, email).validate({ token: cleaned, timestamp: now, window: 1 });
  if (delta === null || delta > 0) return null;
  return Math.floor(now / 1000 / PERIOD) + delta;
}

export async function confirmTotpEnrollment(
  prisma: Db,
  userId: string,
  code: string,
  ip: string | null,
): Promise<{ recoveryCodes: string[] }> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, include: { totp: true } });
  if (!user.totp) throw new AppError("BAD_REQUEST", "Start two-factor setup first.");
  if (user.totp.enabledAt) throw new AppError("CONFLICT", "Two-factor authentication is already on.");
  const secret = unseal(user.totp.encryptedSecret, getRuntime().secretKey);
  const step = checkTotpCode(secret, user.email, code);
  if (step === null)
    throw new AppError(
      "BAD_REQUEST",
      "That code is not valid. Check the time on your phone and try the next code.",
    );
  const codes = newRecoveryCodes();
  await prisma.$transaction(async (tx) => {
    await tx.totpSecret.update({
      where: { userId },
      data: { enabledAt: new Date(), lastUsedStep: BigInt(step) },
    });
    await tx.recoveryCode.deleteMany({ where: { userId } });
    await tx.recoveryCode.createMany({ data: codes.map((c) => ({ userId, codeHash: hashRecoveryCode(c) })) });
    await writeAudit(tx, {
      type: "TOTP_ENABLED",
      actorType: "USER",
      actorUserId: userId,
      actorLabel: user.email,
      targetType: "user",
      targetId: userId,
      summary: `${user.email} turned on two-factor authentication`,
      ip,
    });
  });
  return { recoveryCodes: codes };
}

export async function regenerateRecoveryCodes(
  prisma: Db,
  userId: string,
  ip: string | null,
): Promise<string[]> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, include: { totp: true } });
  if (!user.totp?.enabledAt) throw new AppError("BAD_REQUEST", "Turn on two-factor authentication first.");
  const codes = newRecoveryCodes();
  await prisma.$transaction(async (tx) => {
    await tx.recoveryCode.deleteMany({ where: { userId } });
    await tx.recoveryCode.createMany({ data: codes.map((c) => ({ userId, codeHash: hashRecoveryCode(c) })) });
    await writeAudit(tx, {
      type: "RECOVERY_CODES_REGENERATED",
      actorType: "USER",
      actorUserId: userId,
      actorLabel: user.email,
      targetType: "user",
      targetId: userId,
      summary: `${user.email} generated new recovery codes`,
      ip,
    });
  });
  return codes;
}
