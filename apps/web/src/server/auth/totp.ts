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

/**
 * Starts enrollment, or shows the one in progress: the pending secret stays server-side (encrypted) until a
 * code confirms it, so reloading the page shows the same QR code and a code from the first load still
 * works. `restart` makes a new secret (the user lost the first one).
 */
export async function beginTotpEnrollment(prisma: Db, userId: string, options: { restart?: boolean } = {}) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, include: { totp: true } });
  if (user.totp?.enabledAt) throw new AppError("CONFLICT", "Two-factor authentication is already on.");
  const { secretKey } = getRuntime();
  let secret = user.totp && !options.restart ? unseal(user.totp.encryptedSecret, secretKey) : null;
  if (!secret) {
    secret = new OTPAuth.Secret({ size: 20 }).base32;
    await prisma.totpSecret.upsert({
      where: { userId },
      create: { userId, encryptedSecret: seal(secret, secretKey) },
      update: { encryptedSecret: seal(secret, secretKey), enabledAt: null, lastUsedStep: null },
    });
  }
  const uri = totpFor(secret, user.email).toString();
  return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
}

/** Why a code that was not accepted during enrollment failed, in words the user can act on. */
export function explainRejectedCode(
  secretBase32: string,
  email: string,
  code: string,
  now = Date.now(),
): string {
  const cleaned = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(cleaned)) return "Enter the 6-digit code your authenticator app shows.";
  const delta = totpFor(secretBase32, email).validate({ token: cleaned, timestamp: now, window: 20 });
  if (delta !== null) {
    const minutes = Math.max(1, Math.round((Math.abs(delta) * PERIOD) / 60));
    return `That code is from ${minutes} minute${minutes === 1 ? "" : "s"} ${delta > 0 ? "ahead" : "ago"}: your phone's clock is off. Set it to update automatically and enter the current code.`;
  }
  return "That code does not match this QR code. Scan the QR code on this page again (it replaces an older Mailwarden entry in your app) and enter the current code.";
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
  if (step === null) throw new AppError("BAD_REQUEST", explainRejectedCode(secret, user.email, code));
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
