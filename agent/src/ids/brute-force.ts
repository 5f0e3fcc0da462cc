// Row 21, password brute force: failed logins from one address — SMTP AUTH and POP3 alike, whatever the
// user name — within the window.
import type { AbuseBruteForce } from "@mailwarden/policy";
import type { AbuseTrip } from "./block-list";
import type { EventWindow } from "./event-window";

export const BRUTE_FORCE_RULE = "ids.brute-force";

export function bruteForce(
  settings: AbuseBruteForce,
  failedLogins: EventWindow,
  ip: string,
  now: number,
): AbuseTrip | null {
  if (!settings.enabled) return null;
  const failures = failedLogins.add(ip, now, settings.minutes * 60_000, settings.failures);
  if (failures < settings.failures) return null;
  return {
    rule: BRUTE_FORCE_RULE,
    reason: `${failures} failed logins within ${settings.minutes} min`,
    blockMinutes: settings.blockMinutes,
  };
}
