// Rows 5 and 1: a recipient in a local domain must be a real mailbox, an alias that leads somewhere, or
// caught by the domain's catch-all mailbox. Anything else is refused at RCPT (550 5.1.1) rather than
// bounced later, so nobody can harvest addresses and no backscatter is sent; the catch-all is off by
// default (row 5).
import { findDomain, splitAddress } from "../active-config";
import { expandRecipient } from "../recipients";
import { accept, proceed, reject, type RcptToContext, type Rule } from "./types";

export const localRecipient: Rule<RcptToContext> = {
  id: "local-recipient",
  evaluate(context) {
    const { localPart, domain } = splitAddress(context.recipient);
    const local = findDomain(context.config, domain);
    if (!local) return proceed;
    if (local.mailboxes.has(localPart.toLowerCase())) return accept;
    if (expandRecipient(context.config, context.recipient).length > 0) return accept;
    return reject(550, "5.1.1 Mailbox unavailable");
  },
};
