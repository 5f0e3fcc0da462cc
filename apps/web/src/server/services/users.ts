// Console users of a customer (customer admins, domain admins, auditors). The creating admin sets an
// initial password, checked against the customer's password policy; 2FA follows the customer's rule.
import { writeAudit, type Db, type Role } from "@mailwarden/db";
import { resolvePolicy } from "@mailwarden/policy";
import { loadPolicyLayers } from "@mailwarden/db";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { assertPasswordAllowed, hashPassword } from "../passwords";
import { passwordContext } from "../auth/console-password";
import { endUserSessions } from "../auth/sessions";
import { auditActor } from "./audit";

export async function listCustomerUsers(prisma: Db, actor: Actor, customerId: string) {
  assertCan(actor, "user.read");
  const tenant = await prisma.tenant.findFirst({
    where: { AND: [{ id: customerId }, scope.tenant(actor, "user.read")] },
  });
  if (!tenant) throw new AppError("NOT_FOUND", "Customer not found.");
  const memberships = await prisma.membership.findMany({
    where: { tenantId: tenant.id },
    include: {
      user: {
        select: {
          id: true,
          email: true,
          name: true,
          lastLoginAt: true,
          disabledAt: true,
          totp: { select: { enabledAt: true } },
        },
      },
      domains: { include: { domain: { select: { id: true, name: true } } } },
    },
    orderBy: { createdAt: "asc" },
  });
  // Whose account (password, 2FA, lock, sessions) the caller may act on: decided by access.ts alone.
  const managed = await prisma.user.findMany({
    where: { AND: [{ id: { in: memberships.map((m) => m.userId) } }, scope.managedUser(actor)] },
    select: { id: true },
  });
  const canManage = new Set(managed.map((u) => u.id));
  return memberships.map((m) => ({
    isLocked: m.user.disabledAt !== null,
    canManageAccount: canManage.has(m.user.id),
    userId: m.user.id,
    email: m.user.email,
    name: m.user.name,
    role: m.role,
    lastLoginAt: m.user.lastLoginAt,
    has2fa: Boolean(m.user.totp?.enabledAt),
    domains: m.domains.map((d) => d.domain),
  }));
}

export async function createCustomerUser(
  prisma: Db,
  actor: Actor,
  input: {
    customerId: string;
    email: string;
    name: string;
    role: Role;
    domainIds: string[];
    password: string;
  },
  ip: string | null,
) {
  assertCan(actor, "user.write");
  if (input.role === "PROVIDER_ADMIN")
    throw new AppError("BAD_REQUEST", "Customer users cannot be provider admins.");
  const tenant = await prisma.tenant.findFirst({
    where: { AND: [{ id: input.customerId }, scope.tenant(actor, "user.write")] },
  });
  if (!tenant) throw new AppError("NOT_FOUND", "Customer not found.");
  const domains = await prisma.domain.findMany({
    where: { id: { in: input.domainIds }, tenantId: tenant.id },
  });
  if (domains.length !== input.domainIds.length) throw new AppError("NOT_FOUND", "Domain not found.");
  if (input.role === "DOMAIN_ADMIN" && domains.length === 0) {
    throw new AppError("BAD_REQUEST", "Choose at least one domain for a domain admin.");
  }
  const email = input.email.trim().toLowerCase();
  const policy = resolvePolicy(await loadPolicyLayers(prisma, { tenantId: tenant.id }));
  assertPasswordAllowed(input.password, policy.passwordPolicy, passwordContext(email));
  const hash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    const existing = await tx.user.findUnique({ where: { email }, include: { memberships: true } });
    if (existing?.memberships.some((m) => m.tenantId === tenant.id))
      throw new AppError("CONFLICT", "That person is already a user of this customer.", ["email"]);
    // Someone with a console account elsewhere (another customer, or provider staff) joins this customer
    // with their own password. The answer is the same as for a new user, so adding an address reveals
    // nothing about other customers.
    if (existing) {
      await tx.membership.create({
        data: {
          userId: existing.id,
          tenantId: tenant.id,
          role: input.role,
          domains: {
            create: input.role === "DOMAIN_ADMIN" ? domains.map((d) => ({ domainId: d.id })) : [],
          },
        },
      });
    }
    const user =
      existing ??
      (await tx.user.create({
        data: {
          email,
          name: input.name.trim(),
          password: { create: { hash } },
          memberships: {
            create: {
              tenantId: tenant.id,
              role: input.role,
              domains: {
                create: input.role === "DOMAIN_ADMIN" ? domains.map((d) => ({ domainId: d.id })) : [],
              },
            },
          },
        },
      }));
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "USER_CREATED",
      tenantId: tenant.id,
      targetType: "user",
      targetId: user.id,
      summary: `User ${email} added to ${tenant.name} as ${input.role.toLowerCase().replace("_", " ")}`,
      after: { email, role: input.role, domains: domains.map((d) => d.name) },
    });
    return { userId: user.id };
  });
}

export async function removeCustomerUser(
  prisma: Db,
  actor: Actor,
  input: { customerId: string; userId: string },
  ip: string | null,
) {
  assertCan(actor, "user.write");
  const membership = await prisma.membership.findFirst({
    where: { userId: input.userId, tenantId: input.customerId, tenant: scope.tenant(actor, "user.write") },
    include: { user: true, tenant: true },
  });
  if (!membership) throw new AppError("NOT_FOUND", "User not found.");
  if (membership.userId === actor.userId) throw new AppError("BAD_REQUEST", "You cannot remove yourself.");
  await prisma.$transaction(async (tx) => {
    // A user who also belongs elsewhere keeps that account: only this customer's membership goes.
    const elsewhere = await tx.membership.count({
      where: { userId: membership.userId, id: { not: membership.id } },
    });
    if (elsewhere > 0 || membership.user.providerRole) {
      await tx.membership.delete({ where: { id: membership.id } });
      await endUserSessions(tx, membership.userId);
    } else {
      await tx.user.delete({ where: { id: membership.userId } });
    }
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "USER_DELETED",
      tenantId: membership.tenantId,
      targetType: "user",
      targetId: membership.userId,
      summary: `User ${membership.user.email} removed from ${membership.tenant.name}`,
      before: { email: membership.user.email, role: membership.role },
    });
  });
  return { userId: membership.userId };
}
