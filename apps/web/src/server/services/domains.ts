// Domains of a customer and their mailboxes. Creating or deleting one changes what the customer's
// agents accept, so it marks their config changed in the same transaction.
import { domainToASCII } from "node:url";
import { markConfigChanged, writeAudit, type Db } from "@mailwarden/db";
import { assertCan, scope, type Actor, type Permission } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";
import { asciiDomainPattern } from "../../lib/domain-name";
import { displayDomain } from "../../lib/format";
import { weakMailboxPasswords, weakPasswordOf } from "./weak-passwords";

export async function listDomains(prisma: Db, actor: Actor, filter: { customerId?: string }) {
  const rows = await prisma.domain.findMany({
    where: {
      AND: [scope.domain(actor, "domain.read"), filter.customerId ? { tenantId: filter.customerId } : {}],
    },
    orderBy: { name: "asc" },
    include: { tenant: { select: { id: true, name: true } }, _count: { select: { mailboxes: true } } },
  });
  return rows.map((d) => ({
    id: d.id,
    name: d.name,
    customer: d.tenant,
    mailboxes: d._count.mailboxes,
    createdAt: d.createdAt,
  }));
}

export async function getDomain(prisma: Db, actor: Actor, domainId: string) {
  const domain = await prisma.domain.findFirst({
    where: { AND: [{ id: domainId }, scope.domain(actor, "domain.read")] },
    include: {
      tenant: { select: { id: true, name: true } },
      mailboxes: {
        where: scope.mailbox(actor, "mailbox.read"),
        orderBy: { localPart: "asc" },
        select: {
          id: true,
          localPart: true,
          displayName: true,
          createdAt: true,
          updatedAt: true,
          passwordChangedAt: true,
          throttleMessagesPerHour: true,
          throttleMessagesPerDay: true,
        },
      },
    },
  });
  if (!domain) throw new AppError("NOT_FOUND", "Domain not found.");
  const weak = await weakMailboxPasswords(prisma, domain.tenantId);
  return {
    ...domain,
    mailboxes: domain.mailboxes.map((mailbox) => ({
      ...mailbox,
      weakPassword: weakPasswordOf(weak, `${mailbox.localPart}@${domain.name}`, mailbox.passwordChangedAt),
    })),
  };
}

/** A domain the actor holds `permission` on, or NOT_FOUND — the one lookup every domain-owned service uses. */
export async function findDomain(prisma: Db, actor: Actor, domainId: string, permission: Permission) {
  const domain = await prisma.domain.findFirst({
    where: { AND: [{ id: domainId }, scope.domain(actor, permission)] },
  });
  if (!domain) throw new AppError("NOT_FOUND", "Domain not found.");
  return domain;
}

/** Customers the actor may add domains to: provider admins choose; customer admins use their own. */
async function targetTenantId(prisma: Db, actor: Actor, customerId: string | undefined): Promise<string> {
  if (customerId) {
    const tenant = await prisma.tenant.findFirst({
      where: { AND: [{ id: customerId }, scope.tenant(actor, "domain.write")] },
    });
    if (!tenant) throw new AppError("NOT_FOUND", "Customer not found.");
    return tenant.id;
  }
  const own = actor.memberships.filter((m) => m.role === "CUSTOMER_ADMIN");
  if (own.length !== 1 || !own[0])
    throw new AppError("BAD_REQUEST", "Choose the customer this domain belongs to.");
  return own[0].tenantId;
}

/**
 * Mailboxes, aliases and mailing lists share one namespace per domain: an address is one of them, never
 * two (the agent would not know where to deliver). A list also owns "<list>-bounces", the envelope
 * sender of its copies (row 22), so `localPart` ending in it is taken by that list. Checked inside the
 * creating transaction.
 */
export async function assertAddressFree(
  tx: Pick<Db, "mailbox" | "alias" | "mailingList">,
  domainId: string,
  localPart: string,
  address: string,
): Promise<void> {
  const key = { domainId_localPart: { domainId, localPart } };
  const listOfBounces = /^(.+)-bounces$/.exec(localPart)?.[1];
  if (
    (await tx.mailbox.findUnique({ where: key })) ||
    (await tx.alias.findUnique({ where: key })) ||
    (await tx.mailingList.findUnique({ where: key })) ||
    (listOfBounces !== undefined &&
      (await tx.mailingList.findUnique({
        where: { domainId_localPart: { domainId, localPart: listOfBounces } },
      })))
  ) {
    throw new AppError("CONFLICT", `${address} already exists.`);
  }
}

export async function createDomain(
  prisma: Db,
  actor: Actor,
  input: { name: string; customerId?: string },
  ip: string | null,
) {
  assertCan(actor, "domain.write");
  // An IDN ("bücher.example") is stored as DNS and the agents know it: "xn--bcher-kva.example".
  const typed = input.name.trim().replace(/\.$/, "");
  const name = /[\s/\\@:?#%]/.test(typed) ? "" : domainToASCII(typed);
  if (!asciiDomainPattern.test(name))
    throw new AppError("BAD_REQUEST", `"${input.name}" is not a valid domain name.`, undefined, "name");
  const tenantId = await targetTenantId(prisma, actor, input.customerId);
  return prisma.$transaction(async (tx) => {
    if (await tx.domain.findUnique({ where: { name } }))
      throw new AppError("CONFLICT", `${displayDomain(name)} is already managed here.`, undefined, "name");
    const domain = await tx.domain.create({ data: { name, tenantId } });
    await markConfigChanged(tx, { tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "DOMAIN_CREATED",
      tenantId,
      targetType: "domain",
      targetId: domain.id,
      summary: `Domain ${displayDomain(name)} added`,
      after: { name },
    });
    return { id: domain.id, name };
  });
}

export async function deleteDomain(prisma: Db, actor: Actor, domainId: string, ip: string | null) {
  assertCan(actor, "domain.write");
  const domain = await findDomain(prisma, actor, domainId, "domain.write");
  await prisma.$transaction(async (tx) => {
    await tx.domain.delete({ where: { id: domain.id } });
    await markConfigChanged(tx, { tenantId: domain.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "DOMAIN_DELETED",
      tenantId: domain.tenantId,
      targetType: "domain",
      targetId: domain.id,
      summary: `Domain ${displayDomain(domain.name)} deleted with its mailboxes`,
      before: { name: domain.name },
    });
  });
  return { id: domain.id };
}
