// The DKIM record a domain's owner must publish (POLICY.md row 11). Keys are generated on the agents and
// only their public half is reported, in the posture; the record is read from the newest posture of the
// domain's customer's servers that reports a key for it. Readable by anyone who may read the domain
// (a domain admin included), without revealing anything about the servers themselves.
import type { Db } from "@mailwarden/db";
import { postureSchema } from "@mailwarden/protocol";
import type { Actor } from "../access";
import { findDomain } from "./domains";

export interface DkimRecord {
  /** Owner name of the TXT record, e.g. "mw202611-3fa9c2._domainkey.example.com". */
  name: string;
  type: "TXT";
  value: string;
}

export async function getDkimRecord(prisma: Db, actor: Actor, domainId: string): Promise<DkimRecord | null> {
  const domain = await findDomain(prisma, actor, domainId, "domain.read");
  // Every server of the customer serves every domain of the customer (see hub/agent-config.ts).
  const servers = await prisma.server.findMany({
    where: { tenantId: domain.tenantId, revokedAt: null, postureAt: { not: null } },
    orderBy: { postureAt: "desc" },
    select: { posture: true },
  });
  for (const server of servers) {
    const posture = postureSchema.safeParse(server.posture);
    const key = posture.success
      ? posture.data.dkim?.find((entry) => entry.domain === domain.name)
      : undefined;
    if (key) return dkimRecordFor(domain.name, key.selector, key.publicKey);
  }
  return null;
}

export function dkimRecordFor(domain: string, selector: string, publicKey: string): DkimRecord {
  return { name: `${selector}._domainkey.${domain}`, type: "TXT", value: `v=DKIM1; k=rsa; p=${publicKey}` };
}
