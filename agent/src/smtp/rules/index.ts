// The fixed order of rules in each SMTP phase. Order matters: relay runs before local-recipient so a
// remote recipient is judged on relay rights, never on mailbox lookups. RCPT fails closed: a recipient
// no rule accepted is refused.
import { authOnlyOverTls } from "./auth-only-over-tls";
import { localRecipient } from "./local-recipient";
import { relay } from "./relay";
import { requireSmtpAuth } from "./require-smtp-auth";
import {
  accept,
  reject,
  type AuthContext,
  type MailFromContext,
  type RcptToContext,
  type Rule,
} from "./types";

export const authRules: readonly Rule<AuthContext>[] = [authOnlyOverTls];
export const mailFromRules: readonly Rule<MailFromContext>[] = [requireSmtpAuth];
export const rcptToRules: readonly Rule<RcptToContext>[] = [relay, localRecipient];

export const phaseFallback = {
  auth: accept,
  mail: accept,
  rcpt: reject(550, "5.1.1 Mailbox unavailable"),
} as const;

export { isAuthOfferedBeforeTls } from "./auth-only-over-tls";
export * from "./types";
export * from "./run-rules";
