// Row 22: mail to a list's <list>-bounces address, the envelope sender of its copies. Servers that
// accepted a member's copy and could not deliver it later send their delivery status notification here;
// each failed recipient who is a member counts as a bounce in the list's ledger (./bounce-ledger.ts)
// before the 250. The report itself is not stored: it is about the list's own mail, and nobody reads the
// bounce address. Anything that is not a DSN is refused, so its sender learns it went nowhere.
import type { Reply } from "../smtp/hostile/types";
import type { LocalMailingList } from "../smtp/active-config";
import type { ListBounce, ListBounceLedger } from "./bounce-ledger";
import { readDeliveryStatus } from "./delivery-status";

export interface BounceReportOutcome {
  /** 250 once counted; 550 for a message that is not a delivery status notification. */
  reply: Reply;
  /** The members whose bounce was counted. */
  counted: string[];
}

export async function receiveBounceReport(
  ledger: ListBounceLedger,
  list: LocalMailingList,
  message: Uint8Array,
): Promise<BounceReportOutcome> {
  const failures = readDeliveryStatus(message);
  if (failures === null) {
    return {
      reply: {
        code: 550,
        message: `5.7.1 ${list.bounceAddress} takes only delivery status notifications (RFC 3464)`,
      },
      counted: [],
    };
  }
  // Each member once per report, however often a report names them: a report cannot make this write
  // more than the list has members.
  const byMember = new Map<string, ListBounce>();
  for (const failure of failures) {
    // the address the copy was sent to, or where the member's server forwarded it
    const member = failure.recipients.find((address) => list.members.has(address));
    if (member !== undefined && !byMember.has(member)) {
      byMember.set(member, { status: failure.status, diagnostic: failure.diagnostic, source: "dsn" });
    }
  }
  const counted: string[] = [];
  for (const [member, bounce] of byMember) {
    if (await ledger.record(list, member, bounce)) counted.push(member);
  }
  return { reply: { code: 250, message: "2.0.0 Delivery status notification received" }, counted };
}
