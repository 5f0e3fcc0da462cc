// Aliases: an address of a domain that forwards to other addresses — local mailboxes or anywhere else.
// The agent expands them when it queues a message (loop-safe, a few levels deep at most); here they are
// only stored, scoped to the caller's domains and audited.
import { markConfigChanged, writeAudit, type Db } from "@mailwarden/db";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";
import { assertAddressFree, findDomain } from "./domains";
import { parseLocalPart } from "./mailboxes";

export const MAX_ALIAS_TARGETS = 50;
const addressPattern = /^[a-z0-9._+-]{1,64}@(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})+$/;

export async function listAliases(prisma: Db, actor: Actor, domainId: string) {
  const domain = await findDomain(prisma, actor, domainId, "mailbox.read");
  return prisma.alias.findMany({
    where: { domainId: domain.id },
    orderBy: { localPart: "asc" },
    select: { id: true, localPart: true, targets: true, createdAt: true },
  });
}

/**
 * Lower-cased, deduplicated addresses; a bare local part means an address of this domain. Alias targets
 * and mailing-list members alike.
 */
export function normalizeAddresses(addresses: string[], domainName: string): string[] {
  const normalized = [
    ...new Set(
      addresses
        .map((address) => address.trim().toLowerCase())
        .filter(Boolean)
        .map((address) => (address.includes("@") ? address : `${address}@${domainName}`)),
    ),
  ];
  const invalid = normalized.filter((address) => !addressPattern.test(address));
  if (invalid.length > 0) throw new AppError("BAD_REQUEST", `Not an e-mail address: ${invalid.join(", ")}.`);
  return normalized;
}

function normalizeTargets(targets: string[], domainName: string, self: string): string[] {
  const normalized = normalizeAddresses(targets, domainName);
  if (normalized.length === 0) throw new AppError("BAD_REQUEST", "Add at least one target address.");
  if (normalized.length > MAX_ALIAS_TARGETS) {
    throw new AppError("BAD_REQUEST", `An alias can have at most ${MAX_ALIAS_TARGETS} targets.`);
  }
  if (normalized.includes(self)) throw new AppError("BAD_REQUEST", "An alias cannot forward to itself.");
  return normalized;
}

export async function createAlias(
  prisma: Db,
  actor: Actor,
  input: { domainId: string; localPart: string; targets: string[] },
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const domain = await findDomain(prisma, actor, input.domainId, "mailbox.write");
  const localPart = parseLocalPart(input.localPart, "address");
  const address = `${localPart}@${domain.name}`;
  const targets = normalizeTargets(input.targets, domain.name, address);
  return prisma.$transaction(async (tx) => {
    await assertAddressFree(tx, domain.id, localPart, address);
    const alias = await tx.alias.create({
      data: { tenantId: domain.tenantId, domainId: domain.id, localPart, targets },
    });
    await markConfigChanged(tx, { tenantId: domain.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "ALIAS_CREATED",
      tenantId: domain.tenantId,
      targetType: "alias",
      targetId: alias.id,
      summary: `Alias ${address} → ${targets.join(", ")} created`,
      after: { address, targets },
    });
    return { id: alias.id, address, targets };
  });
}

export async function deleteAlias(prisma: Db, actor: Actor, aliasId: string, ip: string | null) {
  assertCan(actor, "mailbox.write");
  const alias = await prisma.alias.findFirst({
    where: { AND: [{ id: aliasId }, { domain: scope.domain(actor, "mailbox.write") }] },
    include: { domain: { select: { name: true } } },
  });
  if (!alias) throw new AppError("NOT_FOUND", "Alias not found.");
  const address = `${alias.localPart}@${alias.domain.name}`;
  await prisma.$transaction(async (tx) => {
    await tx.alias.delete({ where: { id: alias.id } });
    await markConfigChanged(tx, { tenantId: alias.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "ALIAS_DELETED",
      tenantId: alias.tenantId,
      targetType: "alias",
      targetId: alias.id,
      summary: `Alias ${address} deleted`,
      before: { address, targets: alias.targets },
    });
  });
  return { id: alias.id };
}
