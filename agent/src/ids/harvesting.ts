// Row 21, address harvesting: recipients refused as unknown (the local-recipient rule's 550) from one
// address, counted in one session and across sessions within the window. Either count reaching the
// threshold blocks the address: a client guessing addresses learns nothing more.
import type { AbuseHarvesting } from "@mailwarden/policy";
import type { AbuseTrip } from "./block-list";
import type { EventWindow } from "./event-window";

export const HARVESTING_RULE = "ids.harvesting";
/** A session's count lives as long as any session may (the idle timeout ends it well before). */
const SESSION_MEMORY_MS = 24 * 3600_000;

export function harvesting(
  settings: AbuseHarvesting,
  unknownRecipients: EventWindow,
  ip: string,
  sessionId: string,
  now: number,
): AbuseTrip | null {
  if (!settings.enabled) return null;
  const limit = settings.unknownRecipients;
  const inSession = unknownRecipients.add(`session:${sessionId}`, now, SESSION_MEMORY_MS, limit);
  const fromAddress = unknownRecipients.add(`ip:${ip}`, now, settings.minutes * 60_000, limit);
  if (inSession < limit && fromAddress < limit) return null;
  const where = inSession >= limit ? "in one session" : `within ${settings.minutes} min`;
  return {
    rule: HARVESTING_RULE,
    reason: `${Math.max(inSession, fromAddress)} unknown recipients ${where}`,
    blockMinutes: settings.blockMinutes,
  };
}
