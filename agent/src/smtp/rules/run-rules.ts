// Runs one phase's rules in their fixed order and stops at the first decision. A rule that throws or
// hangs makes the command tempfail (451): a broken rule must never turn into an accepted message.
import type { Logger } from "pino";
import type { Rule, RuleOutcome, SessionFacts } from "./types";

export type Phase = "connect" | "auth" | "mail" | "rcpt" | "data";

export interface PhaseResult {
  outcome: RuleOutcome;
  /** Rule that decided, or "default" when every rule said continue. */
  ruleId: string;
}

const RULE_TIMEOUT_MS = 10_000;
export const tempfailReply = {
  code: 451,
  message: "4.3.0 Temporary local problem, try again later",
} as const;
export const tempfailOutcome: RuleOutcome = { action: "tempfail", ...tempfailReply };

export async function runRules<Context extends SessionFacts>(
  phase: Phase,
  rules: readonly Rule<Context>[],
  context: Context,
  fallback: RuleOutcome,
  logger: Logger,
  details: Record<string, unknown> = {},
): Promise<PhaseResult> {
  const base = {
    phase,
    session: context.sessionId,
    listener: context.listener,
    client: context.remoteAddress,
    user: context.authenticatedUser ?? undefined,
    ...details,
  };
  // Built once per phase, and the per-rule debug lines only when someone reads them: this runs for every
  // command of every session.
  const isDebug = logger.isLevelEnabled("debug");
  for (const rule of rules) {
    let outcome: RuleOutcome;
    try {
      const decided = rule.evaluate(context);
      // Most rules answer at once; only a pending answer (DNS, the message's authentication) needs a timer.
      outcome = isPromise(decided) ? await withTimeout(decided, RULE_TIMEOUT_MS) : decided;
    } catch (error) {
      logger.error({ ...base, rule: rule.id, outcome: "tempfail", err: error }, "rule failed; tempfailing");
      return { outcome: tempfailOutcome, ruleId: rule.id };
    }
    if (outcome.action === "continue") {
      if (isDebug) logger.debug({ ...base, rule: rule.id, outcome: "continue" }, "rule passed");
      continue;
    }
    logger.info({ ...base, rule: rule.id, outcome: outcome.action, ...codeOf(outcome) }, "rule decided");
    return { outcome, ruleId: rule.id };
  }
  // A default accept is the normal path (e.g. on to the password check): debug, not a decision line.
  const level = fallback.action === "accept" ? "debug" : "info";
  if (level === "debug" && !isDebug) return { outcome: fallback, ruleId: "default" };
  logger[level](
    { ...base, rule: "default", outcome: fallback.action, ...codeOf(fallback) },
    "no rule decided",
  );
  return { outcome: fallback, ruleId: "default" };
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === "function";
}

function codeOf(outcome: RuleOutcome): { code?: number; reply?: string } {
  return outcome.action === "reject" || outcome.action === "tempfail"
    ? { code: outcome.code, reply: outcome.message }
    : {};
}

/** Rejects with "timed out" once `ms` pass; for rules that bound their own lookups below RULE_TIMEOUT_MS. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rejectTimeout) => {
    timer = setTimeout(() => rejectTimeout(new Error(`rule timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
