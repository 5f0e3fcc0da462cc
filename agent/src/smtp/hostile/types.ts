// The contract of the hostile-input guards: small rules that protect the listeners themselves (parser,
// memory, sockets) rather than judge mail. Each has a stable id written in every log line about its
// decisions, like the policy rules in ../rules; unlike them, a guard only ever refuses.
import type { Logger } from "pino";

export interface Reply {
  code: number;
  message: string;
}

/** A refusal; `disconnect` replies are 421s after which smtp-server closes the connection. */
export interface GuardDecision {
  rule: string;
  reply: Reply;
  /** The mail-log record of what led to the decision (an abuse block), still being written. */
  recorded?: Promise<void> | undefined;
}

export type GuardPhase = "connect" | "command" | "data" | "session" | "tls";

export interface GuardLogFields {
  session?: string | undefined;
  listener?: string | undefined;
  client?: string | undefined;
  [key: string]: unknown;
}

/** One log line per guard decision, in the same shape as the policy rules' decisions. */
export function logGuardDecision(
  logger: Logger | undefined,
  phase: GuardPhase,
  decision: GuardDecision | { rule: string; reply: null },
  fields: GuardLogFields,
): void {
  if (!logger) return;
  const reply = decision.reply;
  logger.info(
    {
      phase,
      ...fields,
      rule: decision.rule,
      outcome: reply === null || reply.code >= 500 ? "reject" : "tempfail",
      ...(reply ? { code: reply.code, reply: reply.message } : {}),
      disconnect: reply === null || reply.code === 421,
    },
    "guard decided",
  );
}
