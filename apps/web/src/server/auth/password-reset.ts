// The other half of a password-reset link (services/user-accounts.ts issues it): anyone holding the
// token may, once and within the hour, choose a new password that meets the policy in force. Using it
// ends every session of the user and is audited; a used, expired or unknown token gets the same answer.
import { hashToken, writeAudit, type Db } from "@mailwarden/db";
import { AppError } from "../errors";
import { assertPasswordAllowed, hashPassword } from "../passwords";
import { consolePasswordPolicy, passwordContext } from "./console-password";
import { endUserSessions } from "./sessions";

const INVALID = "This password-reset link is not valid any more. Ask your administrator for a new one.";

async function findLiveToken(prisma: Db, token: string) {
  if (!token) return null;
  return prisma.passwordResetToken.findFirst({
    where: { tokenHash: hashToken(token), usedAt: null, expiresAt: { gt: new Date() } },
    include: { user: { select: { id: true, email: true, disabledAt: true } } },
  });
}

export async function passwordResetStatus(prisma: Db, token: string) {
  const row = await findLiveToken(prisma, token);
  if (!row || row.user.disabledAt) return { isValid: false as const, email: null, policy: null };
  return {
    isValid: true as const,
    email: row.user.email,
    policy: await consolePasswordPolicy(prisma, row.user.id),
  };
}

export async function completePasswordReset(
  prisma: Db,
  input: { token: string; password: string },
  ip: string | null,
): Promise<{ email: string }> {
  const row = await findLiveToken(prisma, input.token);
  if (!row || row.user.disabledAt) throw new AppError("BAD_REQUEST", INVALID);
  assertPasswordAllowed(
    input.password,
    await consolePasswordPolicy(prisma, row.user.id),
    passwordContext(row.user.email),
  );
  const hash = await hashPassword(input.password);
  await prisma.$transaction(async (tx) => {
    const claimed = await tx.passwordResetToken.updateMany({
      where: { id: row.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (claimed.count !== 1) throw new AppError("BAD_REQUEST", INVALID);
    await tx.passwordCredential.upsert({
      where: { userId: row.user.id },
      create: { userId: row.user.id, hash },
      update: { hash, weakProblems: [] },
    });
    await endUserSessions(tx, row.user.id);
    await writeAudit(tx, {
      type: "PASSWORD_RESET_COMPLETED",
      actorType: "USER",
      actorUserId: row.user.id,
      actorLabel: row.user.email,
      targetType: "user",
      targetId: row.user.id,
      summary: `${row.user.email} chose a new password with a reset link (signed out everywhere)`,
      ip,
    });
  });
  return { email: row.user.email };
}
