// POLICY.md row 20: a logged-in user's mail is counted per mailbox and per domain, per hour and per
// day, with the limits of the user's domain policy (levels P C D), a mailbox's own limits when they
// are stricter ("+ per mailbox"). Past a limit the client gets what
// the policy's `action` says: "delay" → 4xx (its queue retries later), "reject" → 5xx. The rule looks
// in three places, with one id:
// - MAIL FROM: already at a limit → refused before the message is even sent;
// - RCPT: more recipients than `recipientsPerMessage` → the extra ones are refused (452 under delay,
//   so the client sends them in a later transaction; 550 under reject);
// - DATA: the message is counted under every limit in one step (../outbound-counters.ts), so parallel
//   sessions cannot overshoot; a message that is then not queued gives its count back.
// Unauthenticated mail is not submission: the relay rule already keeps it to local mailboxes.
import type { Policy } from "@mailwarden/policy";
import { findMailbox, splitAddress, userPolicy, type ActiveConfig } from "../active-config";
import type { CounterLimit } from "../outbound-counters";
import {
  proceed,
  type MailFromContext,
  type MessageContext,
  type RcptToContext,
  type Rule,
  type RuleOutcome,
} from "./types";

const id = "outbound-throttle";
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export const outboundThrottleAtMailFrom: Rule<MailFromContext> = {
  id,
  evaluate(context) {
    if (!context.authenticatedUser) return proceed;
    const { throttle, limits } = limitsFor(context.config, context.authenticatedUser);
    const reached = context.outboundCounters.firstReached(limits);
    return reached ? refusal(throttle.action, reached) : proceed;
  },
};

export const outboundThrottleAtRcpt: Rule<RcptToContext> = {
  id,
  evaluate(context) {
    if (!context.authenticatedUser) return proceed;
    const { throttle } = limitsFor(context.config, context.authenticatedUser);
    if ((context.acceptedRecipients ?? []).length < throttle.recipientsPerMessage) return proceed;
    const text = `Too many recipients: at most ${throttle.recipientsPerMessage} per message`;
    return throttle.action === "delay"
      ? { action: "tempfail", code: 452, message: `4.5.3 ${text}, send the rest in a new message` }
      : { action: "reject", code: 550, message: `5.5.3 ${text}` };
  },
};

export const outboundThrottleAtData: Rule<MessageContext> = {
  id,
  evaluate(context) {
    if (!context.authenticatedUser) return proceed;
    const { throttle, limits } = limitsFor(context.config, context.authenticatedUser);
    const result = context.outboundCounters.tryReserve(limits);
    if (!result.ok) return refusal(throttle.action, result.limit);
    context.holdReservation(result.reservation);
    return proceed;
  },
};

function limitsFor(config: ActiveConfig, user: string) {
  const domain = splitAddress(user).domain;
  const throttle = userPolicy(config, user).outboundThrottle;
  // The mailbox's own limits (already the stricter of its and the domain's); the domain's if it is gone.
  const own = findMailbox(config, user)?.sendingLimits;
  const mailbox = `mailbox:${user.toLowerCase()}`;
  const limits: CounterLimit[] = [
    { key: mailbox, windowMs: HOUR_MS, max: own?.messagesPerHour ?? throttle.mailboxMessagesPerHour },
    { key: mailbox, windowMs: DAY_MS, max: own?.messagesPerDay ?? throttle.mailboxMessagesPerDay },
    { key: `domain:${domain}`, windowMs: HOUR_MS, max: throttle.domainMessagesPerHour },
    { key: `domain:${domain}`, windowMs: DAY_MS, max: throttle.domainMessagesPerDay },
  ];
  return { throttle, limits };
}

function refusal(action: Policy["outboundThrottle"]["action"], limit: CounterLimit): RuleOutcome {
  const who = limit.key.startsWith("domain:") ? "this domain" : "this mailbox";
  const per = limit.windowMs === HOUR_MS ? "hour" : "day";
  const text = `Sending limit reached: ${limit.max} messages per ${per} for ${who}`;
  return action === "delay"
    ? { action: "tempfail", code: 451, message: `4.7.1 ${text}, try again later` }
    : { action: "reject", code: 550, message: `5.7.1 ${text}` };
}
