// POLICY.md row 3: a logged-in user sends only as themselves. Under "address" the envelope sender (MAIL
// FROM) and every address of the From header must be the authenticated mailbox; under "domain" they
// must be in its domain; "off" checks nothing. The user's own domain policy decides (levels P C D).
// MAIL FROM is refused with 553 5.7.1 (Postfix's reject_sender_login_mismatch). The From header is only
// known after DATA, where RFC 5321 §4.3.2 lists 550 (not 553) for a policy refusal, so that reply is
// 550 5.7.1. A message without exactly one From header has no author to match and is refused too.
// Unauthenticated sessions are row 2's and row 4's business, not this rule's.
import type { Policy } from "@mailwarden/policy";
import { splitAddress, userPolicy } from "../active-config";
import { fromAddresses } from "../message-headers";
import { proceed, reject, type MailFromContext, type MessageContext, type Rule } from "./types";

const id = "auth-match";

export const authMatch: Rule<MailFromContext> = {
  id,
  evaluate(context) {
    const user = context.authenticatedUser;
    if (!user) return proceed;
    const mode = userPolicy(context.config, user).requireAuthMatch;
    if (isOwnedBy(context.sender, user, mode)) return proceed;
    return reject(553, `5.7.1 Sender address rejected: not owned by user ${user}`);
  },
};

export const authMatchHeaderFrom: Rule<MessageContext> = {
  id,
  evaluate(context) {
    const user = context.authenticatedUser;
    if (!user) return proceed;
    const mode = userPolicy(context.config, user).requireAuthMatch;
    if (mode === "off") return proceed;
    const authors = fromAddresses(context.message);
    if (authors && authors.every((author) => isOwnedBy(author, user, mode))) return proceed;
    return reject(550, `5.7.1 From header rejected: not owned by user ${user}`);
  },
};

function isOwnedBy(address: string, user: string, mode: Policy["requireAuthMatch"]): boolean {
  if (mode === "off") return true;
  if (mode === "domain") return address !== "" && splitAddress(address).domain === splitAddress(user).domain;
  return address.toLowerCase() === user.toLowerCase();
}
