// The contract every SMTP rule follows (Haraka-style hooks): a rule looks at one command in one phase
// and answers continue, accept, reject (5xx) or tempfail (4xx). Rules never touch sockets, so each can
// be read and tested on its own.
import type { ActiveConfig } from "../active-config";

export type ListenerName = "inbound" | "submission" | "submissionTls";

export type RuleOutcome =
  | { action: "continue" }
  | { action: "accept" }
  | { action: "reject"; code: number; message: string }
  | { action: "tempfail"; code: number; message: string };

export interface SessionFacts {
  sessionId: string;
  listener: ListenerName;
  remoteAddress: string;
  /** TLS is up (implicit TLS or after STARTTLS). */
  isSecure: boolean;
  /** The authenticated mailbox address, or null. */
  authenticatedUser: string | null;
  config: ActiveConfig;
}

export type AuthContext = SessionFacts;

export interface MailFromContext extends SessionFacts {
  /** Envelope sender; "" for the null sender (bounces). */
  sender: string;
}

export interface RcptToContext extends SessionFacts {
  sender: string;
  recipient: string;
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
