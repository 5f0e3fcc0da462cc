// Customers (tenants): provider staff create and manage them; customer users see only their own.
import { writeAudit, type Db } from "@mailwarden/db";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";

export function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "customer"
  );
}

/**
 * Customer names are unique whatever their case ("Acme" and "ACME" are one customer to a person); the
 * database's unique index catches two exact names created at once.
 */
async function assertNameFree(
  tx: Pick<Db, "tenant">,
  name: string,
  exceptCustomerId?: string,
): Promise<void> {
  const taken = await tx.tenant.findFirst({
    where: {
      name: { equals: name, mode: "insensitive" },
      ...(exceptCustomerId ? { NOT: { id: exceptCustomerId } } : {}),
    },
    select: { name: true },
  });
  if (taken)
    throw new AppError("CONFLICT", `A customer named ${taken.name} already exists.`, undefined, "name");
}

export async function listCustomers(prisma: Db, actor: Actor) {
  const rows = await prisma.tenant.findMany({
    where: scope.tenant(actor, "customer.read"),
    orderBy: { name: "asc" },
    include: { _count: { select: { domains: true, servers: true, mailboxes: true, memberships: true } } },
  });
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    slug: t.slug,
    require2fa: t.require2fa,
    createdAt: t.createdAt,
    domains: t._count.domains,
    servers: t._count.servers,
    mailboxes: t._count.mailboxes,
    users: t._count.memberships,
  }));
}

export async function getCustomer(prisma: Db, actor: Actor, customerId: string) {
  const tenant = await prisma.tenant.findFirst({
    where: { AND: [{ id: customerId }, scope.tenant(actor, "customer.read")] },
  });
  if (!tenant) throw new AppError("NOT_FOUND", "Customer not found.");
  return tenant;
}

export async function createCustomer(
  prisma: Db,
  actor: Actor,
  input: { name: string; require2fa: boolean },
  ip: string | null,
) {
  assertCan(actor, "customer.write");
  if (actor.providerRole !== "PROVIDER_ADMIN")
    throw new AppError("FORBIDDEN", "Only provider admins create customers.");
  const base = slugify(input.name);
  return prisma.$transaction(async (tx) => {
    await assertNameFree(tx, input.name.trim());
    let slug = base;
    for (let i = 2; await tx.tenant.findUnique({ where: { slug } }); i++) slug = `${base}-${i}`;
    const tenant = await tx.tenant.create({
      data: { name: input.name.trim(), slug, require2fa: input.require2fa },
    });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "CUSTOMER_CREATED",
      tenantId: tenant.id,
      targetType: "customer",
      targetId: tenant.id,
      summary: `Customer ${tenant.name} created`,
      after: { name: tenant.name, require2fa: tenant.require2fa },
    });
    return { id: tenant.id, name: tenant.name, slug: tenant.slug };
  });
}

export async function updateCustomer(
  prisma: Db,
  actor: Actor,
  input: { customerId: string; name?: string; require2fa?: boolean },
  ip: string | null,
) {
  assertCan(actor, "customer.write");
  const before = await prisma.tenant.findFirst({
    where: { AND: [{ id: input.customerId }, scope.tenant(actor, "customer.write")] },
  });
  if (!before) throw new AppError("NOT_FOUND", "Customer not found.");
  return prisma.$transaction(async (tx) => {
    if (input.name !== undefined) await assertNameFree(tx, input.name.trim(), before.id);
    const after = await tx.tenant.update({
      where: { id: before.id },
      data: { name: input.name?.trim(), require2fa: input.require2fa },
    });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "CUSTOMER_UPDATED",
      tenantId: after.id,
      targetType: "customer",
      targetId: after.id,
      summary: `Customer ${after.name} updated`,
      before: { name: before.name, require2fa: before.require2fa },
      after: { name: after.name, require2fa: after.require2fa },
    });
    return { id: after.id };
  });
}

export async function deleteCustomer(prisma: Db, actor: Actor, customerId: string, ip: string | null) {
  assertCan(actor, "customer.write");
  const tenant = await prisma.tenant.findFirst({
    where: { AND: [{ id: customerId }, scope.tenant(actor, "customer.write")] },
  });
  if (!tenant) throw new AppError("NOT_FOUND", "Customer not found.");
  await prisma.$transaction(async (tx) => {
    await tx.tenant.delete({ where: { id: tenant.id } });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "CUSTOMER_DELETED",
      targetType: "customer",
      targetId: tenant.id,
      summary: `Customer ${tenant.name} deleted with its domains, mailboxes and servers`,
      before: { name: tenant.name },
    });
  });
  return { id: tenant.id };
}
