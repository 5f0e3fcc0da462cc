// Row 21, internal spammer: messages accepted from one logged-in user within the window. Crossing it
// suspends the user rather than an address (a stolen password is used from anywhere): their queued mail
// is held and their sending refused until an administrator lifts it.
import type { AbuseInternalSpammer } from "@mailwarden/policy";
import type { AbuseTrip } from "./block-list";
import type { EventWindow } from "./event-window";

export const INTERNAL_SPAMMER_RULE = "ids.internal-spammer";

export function internalSpammer(
  settings: AbuseInternalSpammer,
  submissions: EventWindow,
  user: string,
  now: number,
): AbuseTrip | null {
  if (!settings.enabled) return null;
  const sent = submissions.add(user.toLowerCase(), now, settings.minutes * 60_000, settings.messages);
  if (sent < settings.messages) return null;
  return {
    rule: INTERNAL_SPAMMER_RULE,
    reason: `${sent} messages within ${settings.minutes} min`,
    blockMinutes: null,
  };
}
