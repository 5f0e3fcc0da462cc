// The fixed order of rules in each SMTP phase. Order matters: relay runs before local-recipient so a
// remote recipient is judged on relay rights, never on mailbox lookups; server-role (row 25) runs first
// because a backup MX accepts its backup domains without the relay check. RCPT fails closed: a recipient
// no rule accepted is refused. DATA rules (SPF, then DMARC) judge unauthenticated mail for local
// mailboxes once the message is in; with no objection the message is accepted.
// Logged-in users: auth-match (row 3) and the outbound throttle (row 20) run after require-smtp-auth
// at MAIL FROM; at RCPT the throttle's recipient limit comes first (relay and server-role accept
// recipients), and row 4 runs after relay, so only unauthenticated local-to-local mail reaches it.
// Mailing lists (row 22) run before relay: a list address must travel alone in its transaction, which
// also concerns the remote recipients relay would accept, and who may post is decided before the
// list address counts as a deliverable local recipient.
// DATA has two lists: the message rules see every session's message first (its From header, its links,
// its count against the sending limits — the throttle last, so a refused message is never counted),
// then the inbound authentication rules judge mail from outside on mailauth's verdict
// (../../auth/message-checks.ts).
import { authMatch, authMatchHeaderFrom } from "./auth-match";
import { authOnlyOverTls } from "./auth-only-over-tls";
import { dmarc } from "./dmarc";
import { dnsbl } from "./dnsbl";
import { ipBlacklist } from "./ip-blacklist";
import { rdnsEhlo } from "./rdns-ehlo";
import { localRecipient } from "./local-recipient";
import { mailingList } from "./mailing-list";
import { onePolicyPerTransaction } from "./one-policy-per-transaction";
import {
  outboundThrottleAtData,
  outboundThrottleAtMailFrom,
  outboundThrottleAtRcpt,
} from "./outbound-throttle";
import { relay } from "./relay";
import { requireSmtpAuth } from "./require-smtp-auth";
import { serverRole } from "./server-role";
import { smtpAuthForLocalDeliveries } from "./smtp-auth-local-deliveries";
import { spf } from "./spf";
import { uriBlocklist } from "./uri-blocklist";
import {
  accept,
  reject,
  type AuthContext,
  type ClientContext,
  type ConnectContext,
  type DataContext,
  type MailFromContext,
  type MessageContext,
  type RcptToContext,
  type Rule,
} from "./types";

// Connect, before the greeting: the blacklist first (no whitelist entry skips it), then the DNS
// blocklists. The connection limits (row 15) run earlier still, before the greeting pause, as guards in
// ../hostile/connection-limits.ts.
export const connectRules: readonly Rule<ConnectContext>[] = [ipBlacklist, dnsbl];
// MAIL FROM, before the transaction's own rules: who the client is (reverse DNS, EHLO name).
export const clientRules: readonly Rule<ClientContext>[] = [rdnsEhlo];
export const authRules: readonly Rule<AuthContext>[] = [authOnlyOverTls];
export const mailFromRules: readonly Rule<MailFromContext>[] = [
  requireSmtpAuth,
  authMatch,
  outboundThrottleAtMailFrom,
];
export const rcptToRules: readonly Rule<RcptToContext>[] = [
  outboundThrottleAtRcpt,
  serverRole,
  mailingList,
  relay,
  smtpAuthForLocalDeliveries,
  onePolicyPerTransaction,
  localRecipient,
];
export const messageRules: readonly Rule<MessageContext>[] = [
  authMatchHeaderFrom,
  uriBlocklist,
  outboundThrottleAtData,
];
export const dataRules: readonly Rule<DataContext>[] = [spf, dmarc];

export const phaseFallback = {
  connect: accept,
  auth: accept,
  mail: accept,
  rcpt: reject(550, "5.1.1 Mailbox unavailable"),
  data: accept,
} as const;

export { isAuthOfferedBeforeTls } from "./auth-only-over-tls";
export { recipientPolicyOf } from "./one-policy-per-transaction";
export * from "./types";
export * from "./run-rules";
