// Provider-wide settings of the console itself (not the lockdown policy the agents enforce): today the
// idle timeout of console sessions. One row; audited like every change.
import { writeAudit, type Db } from "@mailwarden/db";
import { assertProviderCan, type Actor } from "../access";
import { idleTimeoutMinutes } from "../auth/sessions";
import { auditActor } from "./audit";

export async function getConsoleSettings(prisma: Db, actor: Actor) {
  assertProviderCan(actor, "staff.read");
  return { idleTimeoutMinutes: await idleTimeoutMinutes(prisma) };
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
