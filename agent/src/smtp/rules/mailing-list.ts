// POLICY.md row 22 at RCPT: who may post to a mailing list. The list's own setting, or its domain's
// `mailingListPosting`, decides:
// - members: the envelope sender must be a member (or moderator) — and in an authenticated session the
//   logged-in user too, so a member's address cannot be borrowed by another login;
// - moderators: the same, with the moderators only;
// - anyone: every sender (SPF, DMARC and the other rules still apply).
// The null sender never posts: a bounce or auto-reply to a list would go to every member. Bounces go to
// <list>-bounces, the envelope sender of the copies, which takes any sender and reads them.
// A list address (or its bounce address) travels alone in its transaction (452 4.5.3 for any other recipient, RFC 5321
// §4.5.3.1.10; the client sends it next): its copies go out with the list's own envelope sender and
// headers (../mail-server.ts), which the other recipients must not get. Where the server role forwards
// the domain elsewhere (backup MX, incoming gateway) the list is the primary's business: no check here.
import { servedListBounces, servedMailingList } from "../recipients";
import { accept, proceed, reject, type RcptToContext, type Rule, type RuleOutcome } from "./types";

const ownTransaction: RuleOutcome = {
  action: "tempfail",
  code: 452,
  message: "4.5.3 A mailing list takes its own message, send the other recipients in a new transaction",
};

export const mailingList: Rule<RcptToContext> = {
  id: "mailing-list",
  evaluate(context) {
    const list = servedMailingList(context.config, context.recipient);
    const bounces = servedListBounces(context.config, context.recipient);
    const accepted = context.acceptedRecipients ?? [];
    const isListed = (address: string) =>
      servedMailingList(context.config, address) !== undefined ||
      servedListBounces(context.config, address) !== undefined;
    if (list || bounces ? accepted.length > 0 : accepted.some(isListed)) {
      return ownTransaction;
    }
    // Bounce reports about the list's copies: anyone may send them (../../lists/bounce-report.ts).
    if (bounces) return accept;
    if (!list) return proceed;
    if (!context.sender) return reject(550, `5.7.1 Mailing list ${list.address} does not accept bounces`);
    if (list.posting === "anyone") return proceed;
    const allowed = list.posting === "moderators" ? [list.moderators] : [list.members, list.moderators];
    const isAllowed = (address: string) => allowed.some((set) => set.has(address.toLowerCase()));
    const poster = context.authenticatedUser;
    if (isAllowed(context.sender) && (poster === null || isAllowed(poster))) return proceed;
    const who = list.posting === "moderators" ? "its moderators" : "its members";
    return reject(
      550,
      `5.7.1 Mailing list ${list.address} accepts posts only from ${who} (rule mailing-list)`,
    );
  },
};
