// What an admin can do to the account of a console user below them (scope.managedUser in ../access.ts):
// lock them out or let them back in, turn off their 2FA so they can enrol again, sign them out
// everywhere, and issue a one-time password-reset link (1 h, single use). Each ends the user's sessions
// where it should and writes one audit event, in the customer of the user where there is one.
import { generateToken, hashToken, writeAudit, type Db } from "@mailwarden/db";
import { assertCan, scope, type Actor } from "../access";
import { endUserSessions } from "../auth/sessions";
import { AppError } from "../errors";
import { getRuntime } from "../runtime";
import { auditActor } from "./audit";

export const RESET_LINK_MINUTES = 60;

async function findManagedUser(prisma: Db, actor: Actor, userId: string) {
  assertCan(actor, "user.write");
  const user = await prisma.user.findFirst({
    where: { AND: [{ id: userId }, scope.managedUser(actor)] },
    include: { memberships: { select: { tenantId: true }, orderBy: { createdAt: "asc" }, take: 1 } },
  });
  if (!user) throw new AppError("NOT_FOUND", "User not found.");
  return { ...user, tenantId: user.memberships[0]?.tenantId ?? null };
}

export async function setUserLocked(
  prisma: Db,
  actor: Actor,
  input: { userId: string; locked: boolean },
  ip: string | null,
) {
  const user = await findManagedUser(prisma, actor, input.userId);
  await prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { disabledAt: input.locked ? new Date() : null } });
    if (input.locked) await endUserSessions(tx, user.id);
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: input.locked ? "USER_DISABLED" : "USER_ENABLED",
      tenantId: user.tenantId,
      targetType: "user",
      targetId: user.id,
      summary: input.locked
        ? `${user.email} locked out of the console (signed out everywhere)`
        : `${user.email} may sign in again`,
    });
  });
  return { userId: user.id, isLocked: input.locked };
}

export async function resetUserTwoFactor(
  prisma: Db,
  actor: Actor,
  input: { userId: string },
  ip: string | null,
) {
  const user = await findManagedUser(prisma, actor, input.userId);
  await prisma.$transaction(async (tx) => {
    await tx.totpSecret.deleteMany({ where: { userId: user.id } });
    await tx.recoveryCode.deleteMany({ where: { userId: user.id } });
    await endUserSessions(tx, user.id);
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "TOTP_RESET",
      tenantId: user.tenantId,
      targetType: "user",
      targetId: user.id,
      summary: `Two-factor authentication of ${user.email} reset: they set it up again at their next sign-in`,
    });
  });
  return { userId: user.id };
}

export async function signOutUserEverywhere(
  prisma: Db,
  actor: Actor,
  input: { userId: string },
  ip: string | null,
) {
  const user = await findManagedUser(prisma, actor, input.userId);
  const ended = await prisma.$transaction(async (tx) => {
    const count = await endUserSessions(tx, user.id);
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "USER_SESSIONS_REVOKED",
      tenantId: user.tenantId,
      targetType: "user",
      targetId: user.id,
      summary: `${user.email} signed out everywhere (${count} ${count === 1 ? "session" : "sessions"})`,
    });
    return count;
  });
  return { userId: user.id, ended };
}

/** A new link replaces any earlier unused one; only its hash is stored. */
export async function issuePasswordResetLink(
  prisma: Db,
  actor: Actor,
  input: { userId: string },
  ip: string | null,
) {
  const user = await findManagedUser(prisma, actor, input.userId);
  const token = generateToken();
  const expiresAt = new Date(Date.now() + RESET_LINK_MINUTES * 60_000);
  await prisma.$transaction(async (tx) => {
    await tx.passwordResetToken.deleteMany({ where: { userId: user.id, usedAt: null } });
    await tx.passwordResetToken.create({
      data: { userId: user.id, tokenHash: hashToken(token), expiresAt, createdById: actor.userId },
    });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "PASSWORD_RESET_LINK_CREATED",
      tenantId: user.tenantId,
      targetType: "user",
      targetId: user.id,
      summary: `One-time password-reset link for ${user.email} issued (valid ${RESET_LINK_MINUTES} minutes)`,
    });
  });
  // The token travels in the fragment, which browsers never send to a server or a proxy's log.
  return { url: `${getRuntime().publicUrl}/reset-password#token=${token}`, expiresAt, email: user.email };
}
