// Mailing lists (POLICY.md row 22): a list address of a domain, its members and moderators, and who may
// post (the list's own choice, or the domain's effective `mailingListPosting`). The agents check posting
// rights at RCPT and expand the list when they queue a message; here lists are stored, scoped to the
// caller's domains, capped by the domain's effective `maxMailingListsPerDomain`, and audited. The agents
// also pause members whose copies keep bouncing and report it in their posture; the listing shows that
// per member, and an admin's "resume" is stored on the list and pushed to the agents like an edit. The
// overview's alert lists every paused member the reader may see, from the same statuses.
import {
  bounceResumesOf,
  loadPolicyLayers,
  markConfigChanged,
  writeAudit,
  type BounceResume,
  type Db,
  type Tx,
} from "@mailwarden/db";
import { resolvePolicy, type MailingListPosting } from "@mailwarden/policy";
import { listBouncesOf, type ListBounceReport } from "@mailwarden/protocol";
import { assertCan, can, scope, type Actor } from "../access";
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

/** A member's bounces as the agents last reported them, merged over every server that reports them. */
export interface MemberBounceStatus {
  member: string;
  /** Copies skip this member on at least one server, until an admin resumes them. */
  isPaused: boolean;
  /** Since when, the earliest of the servers that paused the member; null while not paused. */
  pausedAt: string | null;
  /** Different days with a bounce, the most any server counted. */
  bounceDays: number;
  /** The newest bounce any server reported, and what it said. */
  lastBounceAt: string;
  lastStatus: string;
  lastDiagnostic: string;
  lastSource: ListBounceReport["lastSource"];
}

/**
 * The list bounces the tenant's servers report for these list addresses. Only the tenant's own servers
 * get its lists (the hub builds each agent's config from its tenant), so only their reports count: an
 * agent of another customer cannot mark this customer's members paused.
 */
async function reportedListBounces(
  prisma: Db,
  tenantId: string,
  listAddresses: string[],
): Promise<ListBounceReport[]> {
  if (listAddresses.length === 0) return [];
  // jsonb containment, so only the postures that mention one of these lists are read.
  const servers = await prisma.server.findMany({
    where: {
      tenantId,
      revokedAt: null,
      OR: listAddresses.map((list) => ({ posture: { path: ["listBounces"], array_contains: [{ list }] } })),
    },
    select: { posture: true },
  });
  return servers.flatMap((server) =>
    listBouncesOf(server.posture).filter((report) => listAddresses.includes(report.list)),
  );
}

const isAfter = (time: string, than: string) => Date.parse(time) > Date.parse(than);

/**
 * One status per member with a current report, in member order. A report of an address that is no longer
 * a member is dropped, and so is one whose last bounce is not after the member's resume: the agent forgets
 * it once it has the resume, and the console need not wait for its next posture.
 */
function memberBounceStatuses(
  reports: ListBounceReport[],
  members: readonly string[],
  resumes: readonly BounceResume[],
): MemberBounceStatus[] {
  return members.flatMap((member) => {
    const resumedAt = resumes.find((resume) => resume.address === member)?.at;
    const current = reports.filter(
      (report) =>
        report.member === member && (resumedAt === undefined || isAfter(report.lastBounceAt, resumedAt)),
    );
    if (current.length === 0) return [];
    const newest = current.reduce((a, b) => (isAfter(b.lastBounceAt, a.lastBounceAt) ? b : a));
    const pausedSince = current
      .flatMap((report) => (report.pausedAt === null ? [] : [report.pausedAt]))
      .sort((a, b) => Date.parse(a) - Date.parse(b));
    return [
      {
        member,
        isPaused: pausedSince.length > 0,
        pausedAt: pausedSince[0] ?? null,
        bounceDays: Math.max(...current.map((report) => report.bounceDays)),
        lastBounceAt: newest.lastBounceAt,
        lastStatus: newest.lastStatus,
        lastDiagnostic: newest.lastDiagnostic,
        lastSource: newest.lastSource,
      },
    ];
  });
}

/** The domain's lists with their members' bounce status, and the domain's defaults shown beside them. */
export async function listMailingLists(prisma: Db, actor: Actor, domainId: string) {
  const domain = await findDomain(prisma, actor, domainId, "mailbox.read");
  const policy = await effectivePolicy(prisma, domain);
  const lists = await prisma.mailingList.findMany({
    where: { domainId: domain.id },
    orderBy: { localPart: "asc" },
    select: {
      id: true,
      localPart: true,
      name: true,
      posting: true,
      members: true,
      moderators: true,
      bounceResumes: true,
    },
  });
  const addressOf = (list: { localPart: string }) => `${list.localPart}@${domain.name}`;
  const reports = await reportedListBounces(prisma, domain.tenantId, lists.map(addressOf));
  return {
    lists: lists.map(({ bounceResumes, ...list }) => ({
      ...list,
      address: addressOf(list),
      posting: fromStored(list.posting),
      memberBounces: memberBounceStatuses(
        reports.filter((report) => report.list === addressOf(list)),
        list.members,
        bounceResumesOf(bounceResumes, list.members),
      ),
    })),
    domainPosting: policy.mailingListPosting,
    maxLists: policy.maxMailingListsPerDomain,
  };
}

/** A member the agents stopped sending a list's copies to, for the overview's alert. */
export interface PausedListMember {
  /** The list's address. */
  list: string;
  member: string;
  pausedAt: string;
  lastStatus: string;
  lastDiagnostic: string;
  /** The list's domain, whose page has the list and its "Resume delivery". */
  domainId: string;
}

export const MAX_PAUSED_MEMBERS_SHOWN = 50;

/**
 * Every member currently paused in lists of domains the actor may read, newest pause first: the first
 * `limit`, and how many there are. A member counts as paused exactly when the domain page shows it so.
 */
export async function listPausedListMembers(
  prisma: Db,
  actor: Actor,
  limit = MAX_PAUSED_MEMBERS_SHOWN,
): Promise<{ members: PausedListMember[]; total: number }> {
  const none = { members: [], total: 0 };
  if (!can(actor, "mailbox.read")) return none;
  // The overview refreshes every few seconds: read only the postures holding a pause. Prisma's json
  // filters cannot say "some element has a non-null pausedAt", a jsonpath can.
  const pausing = await prisma.$queryRaw<{ tenantId: string; posture: unknown }[]>`
    SELECT "tenantId", posture FROM "Server"
    WHERE "revokedAt" IS NULL
      AND jsonb_path_exists(posture, '$.listBounces[*] ? (@.pausedAt.type() == "string")')`;
  const pausedLists = new Map<string, { tenantId: string; localPart: string; domainName: string }>();
  for (const server of pausing) {
    for (const report of listBouncesOf(server.posture)) {
      const at = report.list.lastIndexOf("@");
      if (report.pausedAt === null || at < 1) continue;
      pausedLists.set(`${server.tenantId} ${report.list}`, {
        tenantId: server.tenantId,
        localPart: report.list.slice(0, at),
        domainName: report.list.slice(at + 1),
      });
    }
  }
  if (pausedLists.size === 0) return none;
  // Only a list of the reporting server's own tenant, as on the domain page, and only in readable domains.
  const lists = await prisma.mailingList.findMany({
    where: {
      AND: [
        {
          OR: [...pausedLists.values()].map((list) => ({
            localPart: list.localPart,
            domain: { tenantId: list.tenantId, name: list.domainName },
          })),
        },
        { domain: scope.domain(actor, "mailbox.read") },
      ],
    },
    select: {
      localPart: true,
      members: true,
      bounceResumes: true,
      domain: { select: { id: true, name: true, tenantId: true } },
    },
  });
  const addressOf = (list: (typeof lists)[number]) => `${list.localPart}@${list.domain.name}`;
  // Every report of these lists, paused or not: the newest bounce shown may come from another server.
  const tenantIds = [...new Set(lists.map((list) => list.domain.tenantId))];
  const reportsByTenant = new Map(
    await Promise.all(
      tenantIds.map(
        async (tenantId) =>
          [
            tenantId,
            await reportedListBounces(
              prisma,
              tenantId,
              lists.filter((list) => list.domain.tenantId === tenantId).map(addressOf),
            ),
          ] as const,
      ),
    ),
  );
  const paused = lists.flatMap((list) => {
    const address = addressOf(list);
    const reports = (reportsByTenant.get(list.domain.tenantId) ?? []).filter(
      (report) => report.list === address,
    );
    return memberBounceStatuses(
      reports,
      list.members,
      bounceResumesOf(list.bounceResumes, list.members),
    ).flatMap(({ member, pausedAt, lastStatus, lastDiagnostic }) =>
      pausedAt === null
        ? []
        : [{ list: address, member, pausedAt, lastStatus, lastDiagnostic, domainId: list.domain.id }],
    );
  });
  paused.sort(
    (a, b) =>
      Date.parse(b.pausedAt) - Date.parse(a.pausedAt) ||
      a.list.localeCompare(b.list) ||
      a.member.localeCompare(b.member),
  );
  return { members: paused.slice(0, limit), total: paused.length };
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

/** The list's members and resumes as committed, locked until the transaction ends (edits and resumes). */
async function lockListMembership(tx: Tx, mailingListId: string) {
  await tx.$queryRaw`SELECT id FROM "MailingList" WHERE id = ${mailingListId} FOR UPDATE`;
  const { members, bounceResumes } = await tx.mailingList.findUniqueOrThrow({
    where: { id: mailingListId },
    select: { members: true, bounceResumes: true },
  });
  return { members, resumes: bounceResumesOf(bounceResumes, members) };
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
    // A removed member's resume goes with it (a resume racing this edit is either kept or dropped whole).
    const { resumes } = await lockListMembership(tx, list.id);
    const bounceResumes = bounceResumesOf(resumes, data.members);
    await tx.mailingList.update({ where: { id: list.id }, data: { ...data, bounceResumes } });
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

/**
 * Row 22: lets a member the agents paused for bounces get the list's copies again. The resume time goes
 * to the agents with the list, and they forget the bounces counted before it.
 */
export async function resumeListMember(
  prisma: Db,
  actor: Actor,
  input: { mailingListId: string; address: string },
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const list = await findList(prisma, actor, input.mailingListId);
  const address = `${list.localPart}@${list.domain.name}`;
  const [member] = normalizeAddresses([input.address], list.domain.name);
  if (!member) throw new AppError("BAD_REQUEST", "Enter the member's address.");
  const reports = await reportedListBounces(prisma, list.tenantId, [address]);
  return prisma.$transaction(async (tx) => {
    const { members, resumes } = await lockListMembership(tx, list.id);
    if (!members.includes(member)) {
      throw new AppError("BAD_REQUEST", `${member} is not a member of ${address}.`);
    }
    const shown = memberBounceStatuses(reports, [member], resumes)[0] ?? null;
    const resume: BounceResume = { address: member, at: new Date().toISOString() };
    await tx.mailingList.update({
      where: { id: list.id },
      data: { bounceResumes: [...resumes.filter((entry) => entry.address !== member), resume] },
    });
    await markConfigChanged(tx, { tenantId: list.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILING_LIST_MEMBER_RESUMED",
      tenantId: list.tenantId,
      targetType: "mailingList",
      targetId: list.id,
      summary: `Resumed delivery to ${member} on list ${address}`,
      before: { address, bounces: shown },
      after: { address, resume },
    });
    return { id: list.id, address, member, resumedAt: resume.at };
  });
}
