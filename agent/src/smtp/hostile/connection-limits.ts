// POLICY.md row 15, the server policy's `connectionLimits`. Rules connect.max-clients,
// connect.max-clients-per-address and connect.rate-per-address: a listener serves at most
// maxConcurrent sessions, at most maxPerIp from one client address, and takes at most
// maxNewPerIpPerMinute new connections from one address in any 60 s, so one host opening (or
// re-opening) connections cannot lock everyone else out. The refused connection gets 421 instead of
// the greeting (RFC 5321 3.1) and is closed. Checked when the connection is set up, before the
// greeting pause; smtp-server also applies maxConcurrent to implicit-TLS handshakes still in progress.
// The total protects the server itself and holds for everyone; the per-address limits skip the host
// itself and addresses whose whitelist entry (row 19) skips "connection-limits". Every attempt of a
// limited address counts towards its rate, refused ones included (as Postfix's anvil counts them).
import type { ConnectionLimits } from "@mailwarden/policy";
import type { GuardDecision } from "./types";

export interface OpenConnection {
  remoteAddress: string;
}

/** The limits one client address is held to right now. */
export interface ClientLimits {
  limits: ConnectionLimits;
  /** The host itself or whitelisted: only maxConcurrent applies. */
  isPerAddressExempt: boolean;
}

const WINDOW_MS = 60_000;
/** Addresses tracked at most; the least recently seen are forgotten first, so a flood stays bounded. */
const MAX_TRACKED_ADDRESSES = 100_000;

/** New connections per client address in the last minute (a sliding window). */
export class ConnectionRate {
  /** address → connection times, oldest first; Map order puts the least recently seen address first. */
  readonly #seen = new Map<string, number[]>();

  /** Records a connection from `address` and returns how many it made in the last minute, this one included. */
  record(address: string, now: number, limit: number): number {
    const times = (this.#seen.get(address) ?? []).filter((time) => now - time < WINDOW_MS);
    times.push(now);
    // Only the newest `limit + 1` matter for the decision.
    if (times.length > limit + 1) times.splice(0, times.length - limit - 1);
    this.#seen.delete(address);
    this.#seen.set(address, times);
    if (this.#seen.size > MAX_TRACKED_ADDRESSES) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return times.length;
  }
}

export function checkConnectionLimits(
  connections: Iterable<OpenConnection>,
  connection: OpenConnection,
  client: ClientLimits,
  rate: ConnectionRate,
  now: number,
  hostname: string,
): GuardDecision | null {
  const { limits } = client;
  let total = 0;
  let fromAddress = 0;
  for (const open of connections) {
    total++;
    if (open.remoteAddress === connection.remoteAddress) fromAddress++;
  }
  // `connections` already includes the new one.
  if (total > limits.maxConcurrent) {
    return {
      rule: "connect.max-clients",
      reply: { code: 421, message: `4.7.0 ${hostname} Too many connected clients, try again later` },
    };
  }
  if (client.isPerAddressExempt) return null;
  const recent = rate.record(connection.remoteAddress, now, limits.maxNewPerIpPerMinute);
  if (fromAddress > limits.maxPerIp) {
    return {
      rule: "connect.max-clients-per-address",
      reply: {
        code: 421,
        message: `4.7.0 ${hostname} Too many connections from your address, try again later`,
      },
    };
  }
  if (recent > limits.maxNewPerIpPerMinute) {
    return {
      rule: "connect.rate-per-address",
      reply: {
        code: 421,
        message: `4.7.0 ${hostname} Too many new connections from your address, try again in a minute`,
      },
    };
  }
  return null;
}
