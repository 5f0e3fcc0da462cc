// Mailing lists (POLICY.md row 22): a list address of a domain, its members and moderators, and who may
// post (the list's own choice, or the domain's effective `mailingListPosting`). The agents check posting
// rights at RCPT and expand the list when they queue a message; here lists are stored, scoped to the
// caller's domains, capped by the domain's effective `maxMailingListsPerDomain`, and audited.
import { loadPolicyLayers, markConfigChanged, writeAudit, type Db } from "@mailwarden/db";
import { resolvePolicy, type MailingListPosting } from "@mailwarden/policy";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { normalizeAddresses } from "./aliases";
import { auditActor } from "./audit";
import { assertAddressFree, findDomain } from "./domains";
import { parseLocalPart } from "./mailboxes";

export const MAX_LIST_MEMBERS = 1000;
export const MAX_LIST_MODERATORS = 100;

type StoredPosting = "MEMBERS" | "MODERATORS" | "ANYONE";

export interface MailingListInput {
  name: string;
  /** null: follow the domain's effective setting. */
  posting: MailingListPosting | null;
  members: string[];
  moderators: string[];
}

const toStored = (posting: MailingListPosting | null) =>
  posting === null ? null : (posting.toUpperCase() as StoredPosting);
const fromStored = (posting: StoredPosting | null) =>
  posting === null ? null : (posting.toLowerCase() as MailingListPosting);

async function effectivePolicy(prisma: Db, domain: { id: string; tenantId: string }) {
  return resolvePolicy(await loadPolicyLayers(prisma, { tenantId: domain.tenantId, domainId: domain.id }));
}

/** The domain's lists, with the domain's defaults the console shows beside them. */
export async function listMailingLists(prisma: Db, actor: Actor, domainId: string) {
  const domain = await findDomain(prisma, actor, domainId, "mailbox.read");
  const policy = await effectivePolicy(prisma, domain);
  const lists = await prisma.mailingList.findMany({
    where: { domainId: domain.id },
    orderBy: { localPart: "asc" },
    select: { id: true, localPart: true, name: true, posting: true, members: true, moderators: true },
  });
  return {
    lists: lists.map((list) => ({
      ...list,
      address: `${list.localPart}@${domain.name}`,
      posting: fromStored(list.posting),
    })),
    domainPosting: policy.mailingListPosting,
    maxLists: policy.maxMailingListsPerDomain,
  };
}

/** Members and moderators, normalized and checked; the list is never its own member. */
function parseInput(input: MailingListInput, domainName: string, address: string) {
  const name = input.name.trim().replace(/[\u0000-\u001f\u007f]/g, "");
  const members = normalizeAddresses(input.members, domainName);
  const moderators = normalizeAddresses(input.moderators, domainName);
  if (members.length > MAX_LIST_MEMBERS) {
    throw new AppError("BAD_REQUEST", `A list can have at most ${MAX_LIST_MEMBERS} members.`);
  }
  if (moderators.length > MAX_LIST_MODERATORS) {
    throw new AppError("BAD_REQUEST", `A list can have at most ${MAX_LIST_MODERATORS} moderators.`);
  }
  if (members.includes(address) || moderators.includes(address)) {
    throw new AppError("BAD_REQUEST", "A list cannot be its own member or moderator.");
  }
  if (input.posting === "moderators" && moderators.length === 0) {
    throw new AppError("BAD_REQUEST", "Add a moderator: only moderators may post to this list.");
  }
  return { name, posting: toStored(input.posting), members, moderators };
}

export async function createMailingList(
  prisma: Db,
  actor: Actor,
  input: MailingListInput & { domainId: string; localPart: string },
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const domain = await findDomain(prisma, actor, input.domainId, "mailbox.write");
  const localPart = parseLocalPart(input.localPart, "list address");
  const address = `${localPart}@${domain.name}`;
  const data = parseInput(input, domain.name, address);
  const { maxMailingListsPerDomain: max } = await effectivePolicy(prisma, domain);
  return prisma.$transaction(async (tx) => {
    // One creator at a time per domain, so two at once cannot both take the last free place.
    await tx.$queryRaw`SELECT id FROM "Domain" WHERE id = ${domain.id} FOR UPDATE`;
    const count = await tx.mailingList.count({ where: { domainId: domain.id } });
    if (count >= max) {
      throw new AppError(
        "BAD_REQUEST",
        `${domain.name} already has ${count} mailing list${count === 1 ? "" : "s"}, the most its policy ` +
          `allows ("Mailing lists per domain": ${max}).`,
      );
    }
    await assertAddressFree(tx, domain.id, localPart, address);
    await assertAddressFree(tx, domain.id, `${localPart}-bounces`, `${localPart}-bounces@${domain.name}`);
    const list = await tx.mailingList.create({
      data: { tenantId: domain.tenantId, domainId: domain.id, localPart, ...data },
    });
    await markConfigChanged(tx, { tenantId: domain.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILING_LIST_CREATED",
      tenantId: domain.tenantId,
      targetType: "mailingList",
      targetId: list.id,
      summary: `Mailing list ${address} created with ${data.members.length} member(s)`,
      after: { address, ...data },
    });
    return { id: list.id, address };
  });
}

async function findList(prisma: Db, actor: Actor, mailingListId: string) {
  const list = await prisma.mailingList.findFirst({
    where: { AND: [{ id: mailingListId }, { domain: scope.domain(actor, "mailbox.write") }] },
    include: { domain: { select: { name: true } } },
  });
  if (!list) throw new AppError("NOT_FOUND", "Mailing list not found.");
  return list;
}

const auditedFields = (list: {
  name: string;
  posting: StoredPosting | null;
  members: string[];
  moderators: string[];
}) => ({ name: list.name, posting: list.posting, members: list.members, moderators: list.moderators });

export async function updateMailingList(
  prisma: Db,
  actor: Actor,
  input: MailingListInput & { mailingListId: string },
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const list = await findList(prisma, actor, input.mailingListId);
  const address = `${list.localPart}@${list.domain.name}`;
  const data = parseInput(input, list.domain.name, address);
  await prisma.$transaction(async (tx) => {
    await tx.mailingList.update({ where: { id: list.id }, data });
    await markConfigChanged(tx, { tenantId: list.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILING_LIST_UPDATED",
      tenantId: list.tenantId,
      targetType: "mailingList",
      targetId: list.id,
      summary: `Mailing list ${address} changed`,
      before: { address, ...auditedFields(list) },
      after: { address, ...data },
    });
  });
  return { id: list.id, address };
}

export async function deleteMailingList(prisma: Db, actor: Actor, mailingListId: string, ip: string | null) {
  assertCan(actor, "mailbox.write");
  const list = await findList(prisma, actor, mailingListId);
  const address = `${list.localPart}@${list.domain.name}`;
  await prisma.$transaction(async (tx) => {
    await tx.mailingList.delete({ where: { id: list.id } });
    await markConfigChanged(tx, { tenantId: list.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILING_LIST_DELETED",
      tenantId: list.tenantId,
      targetType: "mailingList",
      targetId: list.id,
      summary: `Mailing list ${address} deleted`,
      before: { address, ...auditedFields(list) },
    });
  });
  return { id: list.id };
}
