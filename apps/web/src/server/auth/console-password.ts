// Row 14 for console users: which password policy applies to a user (their customer's effective policy;
// the provider default for provider staff), the strength check at every sign-in — a password set before
// the policy was tightened is flagged on the account until it is changed — and changing one's own
// password (current password required, the policy enforced, audited; every session ends, this one too,
// so a stolen session cookie dies with the old password).
import { loadPolicyLayers, writeAudit, type Db } from "@mailwarden/db";
import { checkPassword, resolvePolicy, type PasswordPolicy } from "@mailwarden/policy";
import { AppError } from "../errors";
import { assertPasswordAllowed, hashPassword, verifyPassword } from "../passwords";
import { endUserSessions } from "./sessions";

export async function consolePasswordPolicy(prisma: Db, userId: string): Promise<PasswordPolicy> {
  const membership = await prisma.membership.findFirst({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: { tenantId: true },
  });
  const layers = await loadPolicyLayers(prisma, membership ? { tenantId: membership.tenantId } : {});
  return resolvePolicy(layers).passwordPolicy;
}

/** What a console user's password must not contain: the parts of their e-mail address. */
export function passwordContext(email: string) {
  const [userName, domainName] = email.split("@");
  return { userName, domainName };
}

/** After a successful sign-in: records why this password fails the policy in force (nothing if it passes). */
export async function recordPasswordStrength(
  prisma: Db,
  user: { id: string; email: string },
  password: string,
): Promise<void> {
  const problems = checkPassword(
    password,
    await consolePasswordPolicy(prisma, user.id),
    passwordContext(user.email),
  );
  await prisma.passwordCredential.updateMany({
    where: { userId: user.id },
    data: { weakProblems: problems },
  });
}

/** Why the user's password failed the policy at their last sign-in; [] when it passed. */
export async function weakPasswordProblems(prisma: Db, userId: string): Promise<string[]> {
  const credential = await prisma.passwordCredential.findUnique({
    where: { userId },
    select: { weakProblems: true },
  });
  return credential?.weakProblems ?? [];
}

export async function changeOwnPassword(
  prisma: Db,
  user: { userId: string; email: string },
  input: { currentPassword: string; newPassword: string },
  ip: string | null,
): Promise<{ ok: true }> {
  const credential = await prisma.passwordCredential.findUnique({ where: { userId: user.userId } });
  if (!credential || !(await verifyPassword(credential.hash, input.currentPassword))) {
    throw new AppError("BAD_REQUEST", "Your current password is not correct.");
  }
  if (input.newPassword === input.currentPassword) {
    throw new AppError("BAD_REQUEST", "Choose a password different from the current one.");
  }
  assertPasswordAllowed(
    input.newPassword,
    await consolePasswordPolicy(prisma, user.userId),
    passwordContext(user.email),
  );
  const hash = await hashPassword(input.newPassword);
  await prisma.$transaction(async (tx) => {
    await tx.passwordCredential.update({ where: { userId: user.userId }, data: { hash, weakProblems: [] } });
    await endUserSessions(tx, user.userId);
    await writeAudit(tx, {
      type: "USER_PASSWORD_CHANGED",
      actorType: "USER",
      actorUserId: user.userId,
      actorLabel: user.email,
      targetType: "user",
      targetId: user.userId,
      summary: `${user.email} changed their password (signed out everywhere)`,
      ip,
    });
  });
  return { ok: true };
}
