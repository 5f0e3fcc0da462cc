// POLICY.md row 4: mail that claims a local sender and goes to a local mailbox must come from a
// logged-in user (530), whatever row 2 says. The two rows differ in what they protect:
// - row 2 (require-smtp-auth, at MAIL FROM) is about the sender's domain: with it on, nobody may use
//   that domain's addresses without logging in, whoever the mail is for;
// - row 4 (this rule, at RCPT, since it needs the recipient) is about internal mail: with row 2 turned
//   off for a domain (say, so outside services may send as it), an unauthenticated session still
//   cannot hand a local mailbox a message "from" a colleague on this server — the classic CEO fraud.
// Only when row 2 is off can this rule decide anything. It protects both sides, so it applies when
// either the sender's or the recipient's domain has it on: one domain cannot loosen it for another.
import { findDomain, splitAddress } from "../active-config";
import { proceed, reject, type RcptToContext, type Rule } from "./types";

export const smtpAuthForLocalDeliveries: Rule<RcptToContext> = {
  id: "smtp-auth-local-deliveries",
  evaluate(context) {
    if (context.authenticatedUser || !context.sender) return proceed;
    const senderDomain = findDomain(context.config, splitAddress(context.sender).domain);
    const recipientDomain = findDomain(context.config, splitAddress(context.recipient).domain);
    if (!senderDomain || !recipientDomain) return proceed;
    const isRequired =
      senderDomain.policy.smtpAuthForLocalDeliveries || recipientDomain.policy.smtpAuthForLocalDeliveries;
    return isRequired
      ? reject(530, "5.7.0 Authentication required for mail between local addresses")
      : proceed;
  },
};
