// The contract every SMTP rule follows (Haraka-style hooks): a rule looks at one command in one phase
// and answers continue, accept, reject (5xx) or tempfail (4xx). Rules never touch sockets, so each can
// be read and tested on its own.
import type { Policy } from "@mailwarden/policy";
import type { Logger } from "pino";
import type { MessageAuthentication } from "../../auth/message-authentication";
import type { DnsResolver } from "../../dns/resolver";
import type { ActiveConfig } from "../active-config";
import type { OutboundCounters, Reservation } from "../outbound-counters";

export type ListenerName = "inbound" | "submission" | "submissionTls";

export type RuleOutcome =
  | { action: "continue" }
  | { action: "accept" }
  | { action: "reject"; code: number; message: string }
  | { action: "tempfail"; code: number; message: string }
  /** DATA only: accept, but into the recipients' Junk folder (DMARC p=quarantine, row 9). */
  | { action: "quarantine" };

export interface SessionFacts {
  sessionId: string;
  listener: ListenerName;
  remoteAddress: string;
  /** TLS is up (implicit TLS or after STARTTLS). */
  isSecure: boolean;
  /** The authenticated mailbox address, or null. */
  authenticatedUser: string | null;
  config: ActiveConfig;
  /** Messages sent per mailbox and per domain (row 20), shared by every session of the server. */
  outboundCounters: OutboundCounters;
}

export type AuthContext = SessionFacts;

/** Connect, before the greeting (rows 17, 19): the client has not said anything yet. */
export interface ConnectContext extends SessionFacts {
  /** The agent's one resolver (DNS blocklists). */
  dns: DnsResolver;
  /** For what a rule learns without deciding (a blocklist that did not answer). */
  logger: Logger;
}

/** MAIL FROM, about the client rather than the transaction (row 16): what it called itself, where it is. */
export interface ClientContext extends ConnectContext {
  /** The EHLO/HELO name, lower case; null without one. */
  helo: string | null;
  /** Adds a header field ("Name: value", no line ending) to this transaction's message. */
  addHeader(field: string): void;
}

export interface MailFromContext extends SessionFacts {
  /** Envelope sender; "" for the null sender (bounces). */
  sender: string;
}

export interface RcptToContext extends SessionFacts {
  sender: string;
  recipient: string;
  /** Recipients already accepted in this transaction. */
  acceptedRecipients?: readonly string[];
}

export interface DataContext extends SessionFacts {
  sender: string;
  /**
   * Policy of the local recipients' domain(s), which decides SPF/DMARC actions (rows 8, 9); one per
   * transaction (see one-policy-per-transaction). null when no recipient is local: nothing to protect.
   */
  recipientPolicy: Policy | null;
  /** SPF/DKIM/DMARC/ARC of the message, computed once on first call; rejects on failure or timeout. */
  authentication(): Promise<MessageAuthentication>;
}

/**
 * DATA, for every session and before the authentication of inbound mail: rules about the message
 * itself (rows 3, 18, 20). They never answer accept; a tag goes on top of every stored copy.
 */
export interface MessageContext extends SessionFacts {
  sender: string;
  recipients: readonly string[];
  /** The message as received: header and body. */
  message: Buffer;
  /** The agent's one resolver (URI blocklists). */
  dns: DnsResolver;
  /** For what a rule records without deciding (a tag). */
  logger: Logger;
  /** Adds a header field ("Name: value", no line ending) to every stored copy. */
  addHeader(field: string): void;
  /** Keeps a counted send (row 20) only if the message is queued; it is released otherwise. */
  holdReservation(reservation: Reservation): void;
}

export interface Rule<Context> {
  /** Stable id written in every log line about this rule's decisions. */
  id: string;
  evaluate(context: Context): RuleOutcome | Promise<RuleOutcome>;
}

export const proceed: RuleOutcome = { action: "continue" };
export const accept: RuleOutcome = { action: "accept" };

export function reject(code: number, message: string): RuleOutcome {
  return { action: "reject", code, message };
}
