// Row 21's alert: when an agent's posture shows a user newly suspended by the internal-spammer rule, the
// hub writes one audit event in the tenant that owns the user's domain, so that customer's admins see it
// in the console (and the provider's staff too). The posture itself is what the console's banner reads;
// this only makes sure the moment it happened is on record, once per block.
import { AuditEventType, type AuditEntry, type Tx } from "@mailwarden/db";
import { abuseBlocksOf, type Posture } from "@mailwarden/protocol";

export interface PostureChange {
  previous: unknown;
  posture: Posture;
  base: Omit<AuditEntry, "type" | "summary">;
}

/** The audit events for users newly suspended across a batch of posture reports (one query for their domains). */
export async function newSuspensionAudits(tx: Tx, changes: readonly PostureChange[]): Promise<AuditEntry[]> {
  const fresh = changes.flatMap(({ previous, posture, base }) => {
    const known = new Set(abuseBlocksOf(previous).map((block) => block.id));
    return (posture.abuseBlocks ?? [])
      .filter((block) => block.action === "suspend" && !known.has(block.id))
      .map((block) => ({
        block,
        base,
        domain: block.subject.slice(block.subject.lastIndexOf("@") + 1).toLowerCase(),
      }));
  });
  if (fresh.length === 0) return [];
  const domains = await tx.domain.findMany({
    where: { name: { in: [...new Set(fresh.map((item) => item.domain))] } },
    select: { name: true, tenantId: true },
  });
  const tenantOf = new Map(domains.map((domain) => [domain.name, domain.tenantId]));
  return fresh.map(({ block, base, domain }) => ({
    ...base,
    type: AuditEventType.ABUSE_SENDING_SUSPENDED,
    tenantId: tenantOf.get(domain) ?? base.tenantId,
    summary: `Sending suspended for ${block.subject} (${block.reason}); their queued mail is held until an administrator lifts it`,
    after: { block },
  }));
}
