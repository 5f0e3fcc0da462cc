// Row 14 for mailboxes: the agents check every login's password against the policy in force and report
// the mailboxes whose last login used a weak one in their posture (agent/src/posture/weak-passwords.ts).
// This reads those reports for a customer's servers. A report older than the mailbox's last change is
// dropped: the password was reset since.
import type { Db } from "@mailwarden/db";
import { postureSchema } from "@mailwarden/protocol";

export interface WeakPasswordFlag {
  problems: string[];
  seenAt: string;
}

/** address → the newest report of a weak password, over the customer's servers. */
export async function weakMailboxPasswords(
  prisma: Db,
  tenantId: string,
): Promise<Map<string, WeakPasswordFlag>> {
  const servers = await prisma.server.findMany({
    where: { tenantId, revokedAt: null, postureAt: { not: null } },
    select: { posture: true },
  });
  const flags = new Map<string, WeakPasswordFlag>();
  for (const server of servers) {
    const posture = postureSchema.safeParse(server.posture);
    for (const weak of posture.success ? (posture.data.weakPasswords ?? []) : []) {
      const known = flags.get(weak.address);
      if (!known || known.seenAt < weak.seenAt)
        flags.set(weak.address, { problems: weak.problems, seenAt: weak.seenAt });
    }
  }
  return flags;
}

/** The flag for one mailbox, unless its password changed after the report. */
export function weakPasswordOf(
  flags: Map<string, WeakPasswordFlag>,
  address: string,
  changedAt: Date,
): WeakPasswordFlag | null {
  const flag = flags.get(address);
  return flag && Date.parse(flag.seenAt) > changedAt.getTime() ? flag : null;
}
