// Rows 5 and 1: a recipient in a local domain must be a real mailbox. Unknown ones are refused at RCPT
// (550 5.1.1) rather than bounced later, so nobody can harvest addresses and no backscatter is sent.
// There is no catch-all yet (row 5 defaults to disabled).
import { findDomain, splitAddress } from "../active-config";
import { accept, proceed, reject, type RcptToContext, type Rule } from "./types";

export const localRecipient: Rule<RcptToContext> = {
  id: "local-recipient",
  evaluate(context) {
    const { localPart, domain } = splitAddress(context.recipient);
    const local = findDomain(context.config, domain);
    if (!local) return proceed;
    if (local.mailboxes.has(localPart.toLowerCase())) return accept;
    return reject(550, "5.1.1 Mailbox unavailable");
  },
};
