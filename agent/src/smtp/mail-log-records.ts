// The mail server's decisions in the shape of mail-log records (issue 13): one place that turns a rule's
// outcome or a guard's reply into a record's refusal fields, says who a session is, which way its mail
// goes and which domain a record concerns, so every SMTP callback records the same facts the same way.
import type { MailDirection } from "@mailwarden/protocol";
import type { SMTPServerSession } from "smtp-server";
import type { Reply } from "./hostile/types";
import type { PhaseResult } from "./rules";

export interface RefusalFields {
  rule: string;
  code: number;
  /** RFC 3463 enhanced status taken from the reply text; "" when it has none. */
  status: string;
  reply: string;
}

/** The rule id of a decision no rule made: the agent itself failed and tempfailed the command. */
export const INTERNAL_ERROR_RULE = "internal-error";

const ENHANCED_STATUS = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/;

/** "5.7.1" of "5.7.1 Relay access denied" (also of "550 5.7.1 …"); "" when the text carries none. */
export function enhancedStatusOf(text: string): string {
  const withoutCode = /^\d{3}[ -]/.test(text) ? text.slice(4) : text;
  return ENHANCED_STATUS.exec(withoutCode)?.[1] ?? "";
}

/** The refusal fields of a reply a rule or guard (`rule`) decided on. */
export function refusalFields(rule: string, reply: Reply): RefusalFields {
  return {
    rule: clip(rule, 64),
    code: reply.code,
    status: enhancedStatusOf(reply.message),
    reply: clip(reply.message, 1000),
  };
}

/** A phase's result (runRules) as refusal fields; null when it let the command through. */
export function refusalOf(result: PhaseResult): RefusalFields | null {
  const { outcome } = result;
  if (outcome.action !== "reject" && outcome.action !== "tempfail") return null;
  return refusalFields(result.ruleId, outcome);
}

/** Who is on the other end of a session, as every session-level record carries it. */
export function sessionFields(session: SMTPServerSession, listener: string) {
  return { session: session.id, listener, client: session.remoteAddress };
}

export function authenticatedUserOf(session: SMTPServerSession): string | null {
  return typeof session.user === "string" ? session.user : null;
}

/** An authenticated user's mail goes out; everything else comes in for this server's domains. */
export function directionOf(session: SMTPServerSession): MailDirection {
  return authenticatedUserOf(session) ? "outbound" : "inbound";
}

/** The lower-cased domain of an address; undefined for the null sender or a bare local part. */
export function domainOfAddress(address: string): string | undefined {
  const at = address.lastIndexOf("@");
  if (at < 0 || at === address.length - 1) return undefined;
  return clip(address.slice(at + 1).toLowerCase(), 253);
}

/**
 * The domain a transaction's record concerns: the sending user's for outbound mail, the recipient's for
 * inbound mail (undefined before any recipient is known).
 */
export function transactionDomain(session: SMTPServerSession, recipient?: string): string | undefined {
  const user = authenticatedUserOf(session);
  if (user) return domainOfAddress(user);
  return recipient === undefined ? undefined : domainOfAddress(recipient);
}

/**
 * Recipients grouped by the domain a record about them concerns: inbound mail gets one record per
 * recipient domain (each domain's admins see their own recipients only), outbound mail one record for
 * the sender's domain.
 */
export function recipientsByDomain(
  session: SMTPServerSession,
  recipients: readonly string[],
): Map<string | undefined, string[]> {
  const groups = new Map<string | undefined, string[]>();
  const user = authenticatedUserOf(session);
  if (user) {
    groups.set(domainOfAddress(user), recipients.map(address));
    return groups;
  }
  for (const recipient of recipients) {
    const domain = domainOfAddress(recipient);
    const group = groups.get(domain);
    if (group) group.push(address(recipient));
    else groups.set(domain, [address(recipient)]);
  }
  if (groups.size === 0) groups.set(undefined, []);
  return groups;
}

/** An envelope address as a record holds it (at most 320 characters). */
export function address(value: string): string {
  return clip(value, 320);
}

/** The address of a MAIL FROM or RCPT TO command line a guard refused before smtp-server parsed it. */
export function commandAddress(line: string): string {
  const found = /<([^>]*)>/.exec(line) ?? /:\s*(\S+)/.exec(line);
  return address(found?.[1] ?? "");
}

export function now(): string {
  return new Date().toISOString();
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}
