// Rows 8 and 9 are set per recipient domain, but a message gets a single reply after DATA. So an
// unauthenticated transaction only carries local recipients whose domains check SPF and DMARC the same
// way: a recipient whose domain differs from those already accepted is deferred with 452 4.5.3 (RFC 5321
// §4.5.3.1.10) and the client sends it in its next transaction. Every recipient then gets exactly its
// own domain's treatment, never a stricter or looser neighbour's.
import type { Policy } from "@mailwarden/policy";
import { findDomain, splitAddress, type ActiveConfig } from "../active-config";
import { proceed, type RcptToContext, type Rule } from "./types";

export const onePolicyPerTransaction: Rule<RcptToContext> = {
  id: "one-policy-per-transaction",
  evaluate(context) {
    if (context.authenticatedUser) return proceed;
    const next = inboundPolicyKey(findDomain(context.config, splitAddress(context.recipient).domain)?.policy);
    if (next === null) return proceed;
    const differs = (context.acceptedRecipients ?? []).some((accepted) => {
      const key = inboundPolicyKey(findDomain(context.config, splitAddress(accepted).domain)?.policy);
      return key !== null && key !== next;
    });
    if (!differs) return proceed;
    return {
      action: "tempfail",
      code: 452,
      message: "4.5.3 Too many recipients for one message, send the rest in a new transaction",
    };
  },
};

/** The policy that decides SPF/DMARC actions for a transaction: its first local recipient's domain's. */
export function recipientPolicyOf(config: ActiveConfig, recipients: readonly string[]): Policy | null {
  for (const recipient of recipients) {
    const domain = findDomain(config, splitAddress(recipient).domain);
    if (domain) return domain.policy;
  }
  return null;
}

function inboundPolicyKey(policy: Policy | undefined): string | null {
  return policy ? `${policy.spfCheck}/${policy.dmarcCompliance}` : null;
}
