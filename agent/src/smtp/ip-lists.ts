// Row 19 on the agent: which blacklist or whitelist entries cover a client address right now. Entries
// are compiled into node's BlockList once per policy snapshot (its arrays are frozen, so a WeakMap keyed
// by the array is the cache); an expired entry is skipped, never removed — the list belongs to the hub.
// Also the one definition of "the host itself", which the per-address checks leave alone.
import net from "node:net";
import { parseIpNetwork, type IpBlacklistEntry, type IpWhitelistSkip, type Policy } from "@mailwarden/policy";

interface CompiledEntry<Entry> {
  entry: Entry;
  blockList: net.BlockList;
  /** ms since the epoch; Infinity = never. */
  expiresAt: number;
}

const compiled = new WeakMap<readonly IpBlacklistEntry[], CompiledEntry<IpBlacklistEntry>[]>();

function compile<Entry extends IpBlacklistEntry>(entries: readonly Entry[]): CompiledEntry<Entry>[] {
  const cached = compiled.get(entries);
  if (cached) return cached as CompiledEntry<Entry>[];
  const result: CompiledEntry<Entry>[] = [];
  for (const entry of entries) {
    // The schema already refused anything parseIpNetwork cannot read.
    const network = parseIpNetwork(entry.network);
    if (!network) continue;
    const blockList = new net.BlockList();
    blockList.addSubnet(network.address, network.prefix, network.family);
    const expiresAt = entry.expiresAt === null ? Infinity : Date.parse(entry.expiresAt);
    result.push({ entry, blockList, expiresAt });
  }
  compiled.set(entries, result);
  return result;
}

/** The address as BlockList checks it: IPv4-mapped IPv6 ("::ffff:192.0.2.1") becomes plain IPv4. */
export function clientAddress(ip: string): { address: string; family: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  return { address, family: net.isIPv4(address) ? "ipv4" : "ipv6" };
}

/** Entries covering `ip` that have not expired at `now`, in list order. */
export function entriesFor<Entry extends IpBlacklistEntry>(
  entries: readonly Entry[],
  ip: string,
  now: number,
): Entry[] {
  if (entries.length === 0) return [];
  const { address, family } = clientAddress(ip);
  if (net.isIP(address) === 0) return [];
  return compile(entries)
    .filter((item) => item.expiresAt > now && item.blockList.check(address, family))
    .map((item) => item.entry);
}

/** Whether a live whitelist entry covering `ip` names `check` among what it skips. */
export function isWhitelistedFor(policy: Policy, ip: string, check: IpWhitelistSkip, now: number): boolean {
  return entriesFor(policy.ipWhitelist, ip, now).some((entry) => entry.skips.includes(check));
}

/**
 * The agent's own host (127.0.0.1, ::1): webmail, cron and other local programs. Like Postfix, which
 * exempts $mynetworks (by default the host) from its per-client limits, per-address connection limits,
 * blocklists and reverse DNS leave it alone; a remote client can never come from there.
 */
export function isHostItself(ip: string): boolean {
  const { address } = clientAddress(ip);
  return address === "127.0.0.1" || address === "::1";
}
