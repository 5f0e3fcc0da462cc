// The hosting provider's own console users: provider admins (everything) and auditors (read-only across
// every customer). Both must use 2FA (enforced at sign-in by auth/actor.ts). A role change or removal
// ends the user's sessions at once, and the last provider admin can never be demoted or removed.
import { writeAudit, type Db } from "@mailwarden/db";
import { resolvePolicy } from "@mailwarden/policy";
import { loadPolicyLayers } from "@mailwarden/db";
import { assertProviderCan, type Actor } from "../access";
import { passwordContext } from "../auth/console-password";
import { endUserSessions } from "../auth/sessions";
import { AppError } from "../errors";
import { assertPasswordAllowed, hashPassword } from "../passwords";
import { auditActor } from "./audit";

export type StaffRole = "PROVIDER_ADMIN" | "AUDITOR";
const roleWords: Record<StaffRole, string> = { PROVIDER_ADMIN: "provider admin", AUDITOR: "auditor" };

export async function listProviderStaff(prisma: Db, actor: Actor) {
  assertProviderCan(actor, "staff.read");
  const users = await prisma.user.findMany({
    where: { providerRole: { not: null } },
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      email: true,
      name: true,
      providerRole: true,
      disabledAt: true,
      lastLoginAt: true,
      totp: { select: { enabledAt: true } },
      _count: { select: { sessions: true } },
    },
  });
  return users.map((u) => ({
    userId: u.id,
    email: u.email,
    name: u.name,
    role: u.providerRole as StaffRole,
    isLocked: u.disabledAt !== null,
    has2fa: Boolean(u.totp?.enabledAt),
    lastLoginAt: u.lastLoginAt,
    activeSessions: u._count.sessions,
    isYou: u.id === actor.userId,
  }));
}

export async function addProviderStaff(
  prisma: Db,
  actor: Actor,
  input: { email: string; name: string; role: StaffRole; password: string },
  ip: string | null,
) {
  assertProviderCan(actor, "staff.write");
  const email = input.email.trim().toLowerCase();
  const policy = resolvePolicy(await loadPolicyLayers(prisma, {}));
  assertPasswordAllowed(input.password, policy.passwordPolicy, passwordContext(email));
  const hash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email } }))
      throw new AppError("CONFLICT", "That email already has a console account.", ["email"]);
    const user = await tx.user.create({
      data: { email, name: input.name.trim(), providerRole: input.role, password: { create: { hash } } },
    });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "USER_CREATED",
      targetType: "user",
      targetId: user.id,
      summary: `${email} added as ${roleWords[input.role]}`,
      after: { email, role: input.role },
    });
    return { userId: user.id };
  });
}

async function findStaff(prisma: Db, userId: string) {
  const user = await prisma.user.findFirst({ where: { id: userId, providerRole: { not: null } } });
  if (!user) throw new AppError("NOT_FOUND", "User not found.");
  return user;
}

async function assertAnotherAdminRemains(prisma: Db, userId: string) {
  const others = await prisma.user.count({
    where: { providerRole: "PROVIDER_ADMIN", disabledAt: null, id: { not: userId } },
  });
  if (others === 0) throw new AppError("BAD_REQUEST", "The console needs at least one provider admin.");
}

export async function changeStaffRole(
  prisma: Db,
  actor: Actor,
  input: { userId: string; role: StaffRole },
  ip: string | null,
) {
  assertProviderCan(actor, "staff.write");
  const user = await findStaff(prisma, input.userId);
  if (user.providerRole === input.role) return { userId: user.id };
  if (user.providerRole === "PROVIDER_ADMIN") await assertAnotherAdminRemains(prisma, user.id);
  await prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { providerRole: input.role } });
    await endUserSessions(tx, user.id);
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "USER_UPDATED",
      targetType: "user",
      targetId: user.id,
      summary: `${user.email} is now ${roleWords[input.role]} (signed out everywhere)`,
      before: { role: user.providerRole },
      after: { role: input.role },
    });
  });
  return { userId: user.id };
}

export async function removeProviderStaff(
  prisma: Db,
  actor: Actor,
  input: { userId: string },
  ip: string | null,
) {
  assertProviderCan(actor, "staff.write");
  const user = await findStaff(prisma, input.userId);
  if (user.id === actor.userId) throw new AppError("BAD_REQUEST", "You cannot remove yourself.");
  if (user.providerRole === "PROVIDER_ADMIN") await assertAnotherAdminRemains(prisma, user.id);
  await prisma.$transaction(async (tx) => {
    await tx.user.delete({ where: { id: user.id } });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "USER_DELETED",
      targetType: "user",
      targetId: user.id,
      summary: `${user.email} removed from the provider's staff`,
      before: { email: user.email, role: user.providerRole },
    });
  });
  return { userId: user.id };
}
