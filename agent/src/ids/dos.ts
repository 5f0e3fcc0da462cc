// Row 21, denial of service: too many new connections from one address (SMTP and POP3 listeners
// together) within the window. Counted before any other check, so connections row 15 turns away with
// 421 still count: a host hammering past the connection limits is what this rule is for.
import type { AbuseDenialOfService } from "@mailwarden/policy";
import type { AbuseTrip } from "./block-list";
import type { EventWindow } from "./event-window";

export const DOS_RULE = "ids.dos";

export function denialOfService(
  settings: AbuseDenialOfService,
  connections: EventWindow,
  ip: string,
  now: number,
): AbuseTrip | null {
  if (!settings.enabled) return null;
  const seen = connections.add(ip, now, settings.minutes * 60_000, settings.connections);
  if (seen < settings.connections) return null;
  return {
    rule: DOS_RULE,
    reason: `${seen} connections within ${settings.minutes} min`,
    blockMinutes: settings.blockMinutes,
  };
}
