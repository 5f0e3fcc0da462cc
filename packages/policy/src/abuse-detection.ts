// Row 21, abuse detection (IDS): the four rules the agent runs on what it sees (connections, unknown
// recipients, failed logins, submissions) and the grace a recent login earns an address. Kept apart from
// schema.ts so the rules' shapes and what "looser" means for them live side by side. Plain objects of
// numbers and booleans, so the generic policy editor renders them.
import { z } from "zod";

const count = z.number().int().min(1).max(1_000_000);
/** Windows and blocks in minutes: at most a week. */
const minutes = z.number().int().min(1).max(10_080);

/** DoS: `connections` new connections from one address within `minutes` → blocked for `blockMinutes`. */
export const abuseDenialOfServiceSchema = z.object({
  enabled: z.boolean(),
  connections: count,
  minutes,
  blockMinutes: minutes,
});

/** Harvesting: `unknownRecipients` refused recipients in one session or within `minutes` → blocked. */
export const abuseHarvestingSchema = z.object({
  enabled: z.boolean(),
  unknownRecipients: count,
  minutes,
  blockMinutes: minutes,
});

/** Brute force: `failures` failed logins (SMTP AUTH and POP3) within `minutes` → blocked. */
export const abuseBruteForceSchema = z.object({
  enabled: z.boolean(),
  failures: count,
  minutes,
  blockMinutes: minutes,
});

/**
 * Internal spammer: `messages` accepted from one logged-in user within `minutes` → that user's queued mail
 * is held and their sending suspended until an administrator lifts it.
 */
export const abuseInternalSpammerSchema = z.object({
  enabled: z.boolean(),
  messages: count,
  minutes,
});

/**
 * An address that logged in successfully within `trustMinutes` is first delayed (4xx for `delayMinutes`)
 * instead of blocked: a user's phone with an old password should not lock out the whole office.
 */
export const abuseLoginGraceSchema = z.object({
  trustMinutes: z.number().int().min(0).max(10_080),
  delayMinutes: minutes,
});

export type AbuseDenialOfService = z.infer<typeof abuseDenialOfServiceSchema>;
export type AbuseHarvesting = z.infer<typeof abuseHarvestingSchema>;
export type AbuseBruteForce = z.infer<typeof abuseBruteForceSchema>;
export type AbuseInternalSpammer = z.infer<typeof abuseInternalSpammerSchema>;
export type AbuseLoginGrace = z.infer<typeof abuseLoginGraceSchema>;

export type AbuseRuleValues = Record<string, number | boolean>;

/**
 * Whether a rule change lets more abuse through: switched off, a threshold raised, a window shortened
 * (fewer events fall in it) or a block shortened. `higherIsLooser` names the numbers where more is looser.
 */
export function isAbuseRuleLoosening(
  before: AbuseRuleValues,
  after: AbuseRuleValues,
  higherIsLooser: readonly string[],
): boolean {
  if (before.enabled === true && after.enabled === false) return true;
  return Object.keys(before).some((field) => {
    const [b, a] = [before[field], after[field]];
    if (typeof b !== "number" || typeof a !== "number") return false;
    return higherIsLooser.includes(field) ? a > b : a < b;
  });
}
