// Rows 15, 16 and 19: connection-level settings the agent checks before a client may say anything
// (connection limits, reverse DNS / EHLO, IP black and white lists). Kept apart from schema.ts for the
// IP/CIDR parsing they need, which must run in the browser too (no node:net). Plain shapes — numbers,
// enums, arrays of flat objects — so the generic policy editor can render them.
import { z } from "zod";

/** Row 15 — per listener: concurrent sessions, and per client address concurrent and new per minute. */
export const connectionLimitsSchema = z.object({
  maxConcurrent: z.number().int().min(1).max(100_000),
  maxPerIp: z.number().int().min(1).max(100_000),
  maxNewPerIpPerMinute: z.number().int().min(1).max(1_000_000),
});
export type ConnectionLimits = z.infer<typeof connectionLimitsSchema>;

/** Row 16 — FCrDNS of the client and its EHLO name: a header and a log line, a 550, or nothing. */
export const rdnsCheckModes = ["tag", "reject", "off"] as const;
export type RdnsCheckMode = (typeof rdnsCheckModes)[number];

export interface IpNetwork {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

const ipv4Pattern = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpv6(value: string): boolean {
  // A trailing dotted quad (::ffff:192.0.2.1) stands for two 16-bit groups.
  const dotted = /^(.*:)([^:]+\.[^:]+)$/.exec(value);
  if (dotted && !ipv4Pattern.test(dotted[2]!)) return false;
  const text = dotted ? `${dotted[1]}0:0` : value;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === "" ? [] : half.split(":")));
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

/** "203.0.113.7", "198.51.100.0/24", "2001:db8::/32" → address, prefix and family; null if invalid. */
export function parseIpNetwork(value: string): IpNetwork | null {
  const [address = "", prefixText, extra] = value.trim().split("/");
  if (extra !== undefined) return null;
  const family = ipv4Pattern.test(address) ? "ipv4" : isIpv6(address) ? "ipv6" : null;
  if (!family) return null;
  const bits = family === "ipv4" ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: bits, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return null;
  return { address, prefix: Number(prefixText), family };
}

const ipNetwork = z
  .string()
  .max(64)
  .refine((value) => parseIpNetwork(value) !== null, {
    // The editor shows this next to the entry, so it names what was typed.
    error: (issue) => `${String(issue.input)} is not an IP address or network`,
  });

/** An ISO 8601 time with offset ("2026-12-31T00:00:00Z"); null = never expires. Expired entries are ignored. */
const entryExpiry = z.iso.datetime({ offset: true, error: "the expiry must be a date and time" }).nullable();

/** Row 19 — one blocked address or network: refused with 554 at connect until it expires. */
export const ipBlacklistEntrySchema = z.object({
  network: ipNetwork,
  reason: z.string().min(1, "a reason is required").max(200),
  expiresAt: entryExpiry,
});
export type IpBlacklistEntry = z.infer<typeof ipBlacklistEntrySchema>;

/**
 * What a whitelist entry may skip. "relay" counts only where row 1 says `authenticated-or-whitelist`.
 * Authentication and the blacklist are never on this list.
 */
export const ipWhitelistSkips = ["connection-limits", "dnsbl", "rdns", "relay"] as const;
export type IpWhitelistSkip = (typeof ipWhitelistSkips)[number];

/** Row 19 — one trusted address or network and exactly the checks it skips. */
export const ipWhitelistEntrySchema = ipBlacklistEntrySchema.extend({
  skips: z
    .array(z.enum(ipWhitelistSkips))
    .min(1, "choose at least one check it skips")
    .max(ipWhitelistSkips.length),
});
export type IpWhitelistEntry = z.infer<typeof ipWhitelistEntrySchema>;
