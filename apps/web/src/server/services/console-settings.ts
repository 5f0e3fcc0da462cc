// Provider-wide settings of the console itself (not the lockdown policy the agents enforce): today the
// idle timeout of console sessions and how long the mail log is kept. One row; audited like every change.
import { logRetentionDays, writeAudit, type Db } from "@mailwarden/db";
import { assertProviderCan, type Actor } from "../access";
import { idleTimeoutMinutes } from "../auth/sessions";
import { auditActor } from "./audit";

export async function getConsoleSettings(prisma: Db, actor: Actor) {
  assertProviderCan(actor, "staff.read");
  return {
    idleTimeoutMinutes: await idleTimeoutMinutes(prisma),
    logRetentionDays: await logRetentionDays(prisma),
  };
}

/** How many days of mail-log records are kept; older days are dropped whole by the retention job. */
export async function updateLogRetention(
  prisma: Db,
  actor: Actor,
  input: { logRetentionDays: number },
  ip: string | null,
) {
  assertProviderCan(actor, "staff.write");
  return prisma.$transaction(async (tx) => {
    const before = await logRetentionDays(tx);
    await tx.consoleSettings.upsert({
      where: { id: "provider" },
      create: { id: "provider", logRetentionDays: input.logRetentionDays },
      update: { logRetentionDays: input.logRetentionDays },
    });
    if (before !== input.logRetentionDays) {
      await writeAudit(tx, {
        ...auditActor(actor, ip),
        type: "CONSOLE_SETTINGS_CHANGED",
        targetType: "console",
        summary: `Mail-log records are now kept for ${input.logRetentionDays} day${input.logRetentionDays === 1 ? "" : "s"}`,
        before: { logRetentionDays: before },
        after: { logRetentionDays: input.logRetentionDays },
      });
    }
    return { logRetentionDays: input.logRetentionDays };
  });
}

export async function updateConsoleSettings(
  prisma: Db,
  actor: Actor,
  input: { idleTimeoutMinutes: number },
  ip: string | null,
) {
  assertProviderCan(actor, "staff.write");
  return prisma.$transaction(async (tx) => {
    const before = await idleTimeoutMinutes(tx);
    await tx.consoleSettings.upsert({
      where: { id: "provider" },
      create: { id: "provider", idleTimeoutMinutes: input.idleTimeoutMinutes },
      update: { idleTimeoutMinutes: input.idleTimeoutMinutes },
    });
    if (before !== input.idleTimeoutMinutes) {
      await writeAudit(tx, {
        ...auditActor(actor, ip),
        type: "CONSOLE_SETTINGS_CHANGED",
        targetType: "console",
        summary: `Console sessions now end after ${input.idleTimeoutMinutes} minutes without activity`,
        before: { idleTimeoutMinutes: before },
        after: { idleTimeoutMinutes: input.idleTimeoutMinutes },
      });
    }
    return { idleTimeoutMinutes: input.idleTimeoutMinutes };
  });
}
