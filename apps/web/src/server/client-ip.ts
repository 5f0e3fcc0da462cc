// Which address a request comes from. The custom server stamps each request with it under
// CLIENT_IP_HEADER (overwriting anything a client sent), so rate limits, sessions and audit events see the
// real peer. Behind a reverse proxy (MAILWARDEN_TRUSTED_PROXIES), the peer is the proxy: the client is the
// right-most X-Forwarded-For hop that is not itself a trusted proxy — the hops a client wrote itself, to
// the left, are never believed.
import { BlockList, isIP } from "node:net";

export const CLIENT_IP_HEADER = "x-mailwarden-client-ip";

/** Parses "10.0.0.0/8, 127.0.0.1, ::1" into a BlockList; throws on an entry that is not an address or CIDR. */
export function parseTrustedProxies(list: string): BlockList {
  const trusted = new BlockList();
  for (const entry of list
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [address, bits] = entry.split("/");
    const family = isIP(address ?? "");
    if (!family) throw new Error(`MAILWARDEN_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) trusted.addAddress(address!, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32))
        throw new Error(`MAILWARDEN_TRUSTED_PROXIES: "${entry}" has an invalid prefix length`);
      trusted.addSubnet(address!, prefix, type);
    }
  }
  return trusted;
}

/** "::ffff:127.0.0.1" (an IPv4 peer on a dual-stack socket) → "127.0.0.1". */
function plain(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function isTrusted(trusted: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 6 ? "ipv6" : "ipv4");
}

export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList | null,
): string {
  let client = plain(peer ?? "");
  if (!trusted || !isTrusted(trusted, client) || forwardedFor === undefined) return client;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map((h) => plain(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!isIP(hop)) break;
    client = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return client;
}
