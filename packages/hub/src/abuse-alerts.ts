// Row 21's alert: when an agent's posture shows a user newly suspended by the internal-spammer rule, the
// hub writes one audit event in the tenant that owns the user's domain, so that customer's admins see it
// in the console (and the provider's staff too). The posture itself is what the console's banner reads;
// this only makes sure the moment it happened is on record, once per block.
import { AuditEventType, writeAudit, type AuditEntry, type Tx } from "@mailwarden/db";
import { abuseBlocksOf, type Posture } from "@mailwarden/protocol";

export async function auditNewSuspensions(
  tx: Tx,
  previousPosture: unknown,
  posture: Posture,
  base: Omit<AuditEntry, "type" | "summary">,
): Promise<void> {
  const known = new Set(abuseBlocksOf(previousPosture).map((block) => block.id));
  const fresh = (posture.abuseBlocks ?? []).filter(
    (block) => block.action === "suspend" && !known.has(block.id),
  );
  for (const block of fresh) {
    const domainName = block.subject.slice(block.subject.lastIndexOf("@") + 1).toLowerCase();
    const domain = await tx.domain.findUnique({ where: { name: domainName }, select: { tenantId: true } });
    await writeAudit(tx, {
      ...base,
      type: AuditEventType.ABUSE_SENDING_SUSPENDED,
      tenantId: domain?.tenantId ?? base.tenantId,
      summary: `Sending suspended for ${block.subject} (${block.reason}); their queued mail is held until an administrator lifts it`,
      after: { block },
    });
  }
}
