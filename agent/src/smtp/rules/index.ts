// The fixed order of rules in each SMTP phase. Order matters: relay runs before local-recipient so a
// remote recipient is judged on relay rights, never on mailbox lookups; server-role (row 25) runs first
// because a backup MX accepts its backup domains without the relay check. RCPT fails closed: a recipient
// no rule accepted is refused. DATA rules (SPF, then DMARC) judge unauthenticated mail for local
// mailboxes once the message is in; with no objection the message is accepted.
import { authOnlyOverTls } from "./auth-only-over-tls";
import { dmarc } from "./dmarc";
import { dnsbl } from "./dnsbl";
import { ipBlacklist } from "./ip-blacklist";
import { localRecipient } from "./local-recipient";
import { onePolicyPerTransaction } from "./one-policy-per-transaction";
import { relay } from "./relay";
import { requireSmtpAuth } from "./require-smtp-auth";
import { serverRole } from "./server-role";
import { spf } from "./spf";
import {
  accept,
  reject,
  type AuthContext,
  type ConnectContext,
  type DataContext,
  type MailFromContext,
  type RcptToContext,
  type Rule,
} from "./types";

// Connect, before the greeting: the blacklist first (no whitelist entry skips it), then the DNS
// blocklists. The connection limits (row 15) run earlier still, before the greeting pause, as guards in
// ../hostile/connection-limits.ts.
export const connectRules: readonly Rule<ConnectContext>[] = [ipBlacklist, dnsbl];
export const authRules: readonly Rule<AuthContext>[] = [authOnlyOverTls];
export const mailFromRules: readonly Rule<MailFromContext>[] = [requireSmtpAuth];
export const rcptToRules: readonly Rule<RcptToContext>[] = [
  serverRole,
  relay,
  onePolicyPerTransaction,
  localRecipient,
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
