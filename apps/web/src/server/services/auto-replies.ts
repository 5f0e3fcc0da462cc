// Auto-replies (vacation messages) of mailboxes. The agent sends them only as the domain's
// `autoResponders` policy (row 7) allows and never to lists, robots or the null sender; here the text
// and interval are stored, scoped to the caller's mailboxes and audited.
import { markConfigChanged, writeAudit, type Db } from "@mailwarden/db";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";

export interface AutoReplySettings {
  enabled: boolean;
  subject: string;
  body: string;
  intervalHours: number;
}

const select = {
  id: true,
  tenantId: true,
  localPart: true,
  domain: { select: { name: true } },
  autoReplyEnabled: true,
  autoReplySubject: true,
  autoReplyBody: true,
  autoReplyIntervalHours: true,
} as const;

function settingsOf(mailbox: {
  autoReplyEnabled: boolean;
  autoReplySubject: string;
  autoReplyBody: string;
  autoReplyIntervalHours: number;
}): AutoReplySettings {
  return {
    enabled: mailbox.autoReplyEnabled,
    subject: mailbox.autoReplySubject,
    body: mailbox.autoReplyBody,
    intervalHours: mailbox.autoReplyIntervalHours,
  };
}

export async function getAutoReply(prisma: Db, actor: Actor, mailboxId: string) {
  const mailbox = await prisma.mailbox.findFirst({
    where: { AND: [{ id: mailboxId }, scope.mailbox(actor, "mailbox.read")] },
    select,
  });
  if (!mailbox) throw new AppError("NOT_FOUND", "Mailbox not found.");
  return { mailboxId: mailbox.id, ...settingsOf(mailbox) };
}

export async function setAutoReply(
  prisma: Db,
  actor: Actor,
  input: { mailboxId: string } & AutoReplySettings,
  ip: string | null,
) {
  assertCan(actor, "mailbox.write");
  const mailbox = await prisma.mailbox.findFirst({
    where: { AND: [{ id: input.mailboxId }, scope.mailbox(actor, "mailbox.write")] },
    select,
  });
  if (!mailbox) throw new AppError("NOT_FOUND", "Mailbox not found.");
  const after: AutoReplySettings = {
    enabled: input.enabled,
    subject: input.subject.replace(/[\r\n]+/g, " ").trim(),
    body: input.body,
    intervalHours: input.intervalHours,
  };
  if (after.enabled && !after.body.trim()) {
    throw new AppError("BAD_REQUEST", "Write the reply before turning it on.");
  }
  const address = `${mailbox.localPart}@${mailbox.domain.name}`;
  await prisma.$transaction(async (tx) => {
    await tx.mailbox.update({
      where: { id: mailbox.id },
      data: {
        autoReplyEnabled: after.enabled,
        autoReplySubject: after.subject,
        autoReplyBody: after.body,
        autoReplyIntervalHours: after.intervalHours,
      },
    });
    await markConfigChanged(tx, { tenantId: mailbox.tenantId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "AUTO_REPLY_CHANGED",
      tenantId: mailbox.tenantId,
      targetType: "mailbox",
      targetId: mailbox.id,
      summary: `Auto-reply of ${address} turned ${after.enabled ? "on" : "off"}`,
      before: { ...settingsOf(mailbox) },
      after: { ...after },
    });
  });
  return { mailboxId: mailbox.id, ...after };
}
