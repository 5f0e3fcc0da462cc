// Mailboxes: passwords are checked against the domain's effective password policy (row 14) and stored
// only as argon2id hashes, which are all the agents ever receive. A mailbox may also have its own
// sending limits (row 20, "+ per mailbox"), only ever stricter than its domain's.
import { loadPolicyLayers, markConfigChanged, writeAudit, type Db } from "@mailwarden/db";
import { describePasswordPolicy, resolvePolicy } from "@mailwarden/policy";
import type { MailboxSendingLimits } from "@mailwarden/protocol";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { assertPasswordAllowed, hashPassword } from "../passwords";
import { auditActor } from "./audit";
import { assertAddressFree, findDomain } from "./domains";

export const localPartPattern = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/;

/** The lower-cased part before @, or BAD_REQUEST naming what it was meant to be ("mailbox name", "address"). */
export function parseLocalPart(raw: string, noun: string): string {
  const localPart = raw.trim().toLowerCase();
  if (!localPartPattern.test(localPart) || localPart.includes("..")) {
    throw new AppError("BAD_REQUEST", `"${raw}" is not a valid ${noun} (letters, digits, . _ + -).`);
  }
  return localPart;
}

async function domainPolicy(prisma: Db, domain: { id: string; tenantId: string }) {
  return resolvePolicy(await loadPolicyLayers(prisma, { tenantId: domain.tenantId, domainId: domain.id }));
}

async function passwordPolicyFor(prisma: Db, domain: { id: string; tenantId: string }) {
  return (await domainPolicy(prisma, domain)).passwordPolicy;
}

export async function mailboxPasswordRules(prisma: Db, actor: Actor, domainId: string) {
  const domain = await findDomain(prisma, actor, domainId, "domain.read");
  const policy = await passwordPolicyFor(prisma, domain);
  return { policy, description: describePasswordPolicy(policy) };
}

export async function createMailbox(
  prisma: Db,
  actor: Actor,
  input: { domainId: string; localPart: string; displayName: string; password: string },
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const domain = await findDomain(prisma, actor, input.domainId, "mailbox.write");
  const localPart = parseLocalPart(input.localPart, "mailbox name");
  assertPasswordAllowed(input.password, await passwordPolicyFor(prisma, domain), {
    userName: localPart,
    domainName: domain.name,
  });
  const passwordHash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    await assertAddressFree(tx, domain.id, localPart, `${localPart}@${domain.name}`);
    const mailbox = await tx.mailbox.create({
      data: {
        tenantId: domain.tenantId,
        domainId: domain.id,
        localPart,
        displayName: input.displayName.trim(),
        passwordHash,
      },
    });
    await markConfigChanged(tx, { tenantId: domain.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILBOX_CREATED",
      tenantId: domain.tenantId,
      targetType: "mailbox",
      targetId: mailbox.id,
      summary: `Mailbox ${localPart}@${domain.name} created`,
      after: { address: `${localPart}@${domain.name}`, displayName: mailbox.displayName },
    });
    return { id: mailbox.id, address: `${localPart}@${domain.name}` };
  });
}

async function findMailbox(
  prisma: Db,
  actor: Actor,
  mailboxId: string,
  permission: "mailbox.read" | "mailbox.write" = "mailbox.write",
) {
  const mailbox = await prisma.mailbox.findFirst({
    where: { AND: [{ id: mailboxId }, scope.mailbox(actor, permission)] },
    include: { domain: true },
  });
  if (!mailbox) throw new AppError("NOT_FOUND", "Mailbox not found.");
  return mailbox;
}

export async function resetMailboxPassword(
  prisma: Db,
  actor: Actor,
  input: { mailboxId: string; password: string },
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const mailbox = await findMailbox(prisma, actor, input.mailboxId);
  assertPasswordAllowed(input.password, await passwordPolicyFor(prisma, mailbox.domain), {
    userName: mailbox.localPart,
    domainName: mailbox.domain.name,
  });
  const passwordHash = await hashPassword(input.password);
  const address = `${mailbox.localPart}@${mailbox.domain.name}`;
  await prisma.$transaction(async (tx) => {
    await tx.mailbox.update({
      where: { id: mailbox.id },
      data: { passwordHash, passwordChangedAt: new Date() },
    });
    await markConfigChanged(tx, { tenantId: mailbox.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILBOX_PASSWORD_RESET",
      tenantId: mailbox.tenantId,
      targetType: "mailbox",
      targetId: mailbox.id,
      summary: `Password of ${address} reset`,
    });
  });
  return { id: mailbox.id };
}

export async function deleteMailbox(prisma: Db, actor: Actor, mailboxId: string, ip: string | null) {
  assertCan(actor, "mailbox.write");
  const mailbox = await findMailbox(prisma, actor, mailboxId);
  const address = `${mailbox.localPart}@${mailbox.domain.name}`;
  await prisma.$transaction(async (tx) => {
    await tx.mailbox.delete({ where: { id: mailbox.id } });
    await markConfigChanged(tx, { tenantId: mailbox.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILBOX_DELETED",
      tenantId: mailbox.tenantId,
      targetType: "mailbox",
      targetId: mailbox.id,
      summary: `Mailbox ${address} deleted`,
      before: { address },
    });
  });
  return { id: mailbox.id };
}

/** The domain's per-mailbox limits as the agent enforces them now (outboundThrottle, levels P C D). */
async function domainSendingLimits(prisma: Db, domain: { id: string; tenantId: string }) {
  const throttle = (await domainPolicy(prisma, domain)).outboundThrottle;
  return { messagesPerHour: throttle.mailboxMessagesPerHour, messagesPerDay: throttle.mailboxMessagesPerDay };
}

function ownSendingLimits(mailbox: {
  throttleMessagesPerHour: number | null;
  throttleMessagesPerDay: number | null;
}): MailboxSendingLimits {
  return { messagesPerHour: mailbox.throttleMessagesPerHour, messagesPerDay: mailbox.throttleMessagesPerDay };
}

/** A mailbox's own sending limits (null = the domain's) beside the domain's, which the console shows. */
export async function getMailboxSendingLimits(prisma: Db, actor: Actor, mailboxId: string) {
  const mailbox = await findMailbox(prisma, actor, mailboxId, "mailbox.read");
  return {
    mailboxId: mailbox.id,
    address: `${mailbox.localPart}@${mailbox.domain.name}`,
    own: ownSendingLimits(mailbox),
    domain: await domainSendingLimits(prisma, mailbox.domain),
  };
}

/**
 * Sets or clears (null) a mailbox's own limits. Only stricter than the domain's: a looser one would be a
 * way around the domain's (and a locked provider's) policy. The agent also takes the lower of the two,
 * so a domain tightened later still wins.
 */
export async function setMailboxSendingLimits(
  prisma: Db,
  actor: Actor,
  input: { mailboxId: string } & MailboxSendingLimits,
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const mailbox = await findMailbox(prisma, actor, input.mailboxId);
  const domain = await domainSendingLimits(prisma, mailbox.domain);
  const after: MailboxSendingLimits = {
    messagesPerHour: input.messagesPerHour,
    messagesPerDay: input.messagesPerDay,
  };
  for (const [key, per] of [
    ["messagesPerHour", "hour"],
    ["messagesPerDay", "day"],
  ] as const) {
    const value = after[key];
    if (value !== null && value > domain[key]) {
      throw new AppError(
        "BAD_REQUEST",
        `${value} messages per ${per} is looser than the domain ${mailbox.domain.name}'s limit of ` +
          `${domain[key]} per ${per}: a mailbox's own limit can only be stricter.`,
      );
    }
  }
  const address = `${mailbox.localPart}@${mailbox.domain.name}`;
  const isCleared = after.messagesPerHour === null && after.messagesPerDay === null;
  await prisma.$transaction(async (tx) => {
    await tx.mailbox.update({
      where: { id: mailbox.id },
      data: { throttleMessagesPerHour: after.messagesPerHour, throttleMessagesPerDay: after.messagesPerDay },
    });
    await markConfigChanged(tx, { tenantId: mailbox.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "MAILBOX_SENDING_LIMITS_CHANGED",
      tenantId: mailbox.tenantId,
      targetType: "mailbox",
      targetId: mailbox.id,
      summary: isCleared
        ? `Sending limits of ${address} cleared: the domain's apply`
        : `Sending limits of ${address} set`,
      before: { ...ownSendingLimits(mailbox) },
      after: { ...after },
    });
  });
  return { mailboxId: mailbox.id, own: after, domain };
}
