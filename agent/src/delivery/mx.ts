// Where mail for a domain goes (RFC 5321 §5.1): its MX hosts by preference, or the domain itself when it
// has no MX (implicit MX, A/AAAA), and nowhere when it publishes a null MX "." (RFC 7505). Every lookup
// goes through the agent's one resolver, so tests point it at a DNS server on loopback.
import net from "node:net";
import type { DnsResolver } from "../dns/resolver";

/** A failure that says whether retrying can help, with the RFC 3463 status to report. */
export class DeliveryError extends Error {
  override name = "DeliveryError";
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly status: string,
  ) {
    super(message);
  }
}

export interface MailHost {
  name: string;
  priority: number;
  /** The domain itself, used because it has no MX: no address then means no mail server at all. */
  implicit?: boolean;
}

const missing = new Set(["ENODATA", "ENOTFOUND"]);

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? "";
}

/** MX hosts in the order to try them (equal preferences shuffled), or a DeliveryError. */
export async function mailHostsFor(resolver: DnsResolver, domain: string): Promise<MailHost[]> {
  const literal = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(domain);
  if (literal && net.isIP(literal[1]!)) return [{ name: literal[1]!, priority: 0 }];
  let records: { exchange: string; priority: number }[];
  try {
    records = await resolver.resolveMx(domain);
  } catch (error) {
    if (code(error) === "ENOTFOUND") {
      throw new DeliveryError(`550 5.1.2 domain ${domain} does not exist`, true, "5.1.2");
    }
    if (code(error) === "ENODATA") return [{ name: domain, priority: 0, implicit: true }];
    throw new DeliveryError(
      `451 4.4.3 MX lookup for ${domain} failed: ${code(error) || error}`,
      false,
      "4.4.3",
    );
  }
  const named = records.filter((record) => record.exchange !== "" && record.exchange !== ".");
  if (named.length === 0) {
    if (records.length > 0) {
      throw new DeliveryError(`556 5.1.10 ${domain} accepts no mail (null MX)`, true, "5.1.10");
    }
    return [{ name: domain, priority: 0, implicit: true }];
  }
  return named
    .map((record) => ({
      name: record.exchange.replace(/\.$/, ""),
      priority: record.priority,
      tie: Math.random(),
    }))
    .sort((a, b) => a.priority - b.priority || a.tie - b.tie)
    .map(({ name, priority }) => ({ name, priority }));
}

/** IPv4 then IPv6 addresses of a host; [] when it has none; a DeliveryError when DNS itself failed. */
export async function addressesOf(resolver: DnsResolver, host: string): Promise<string[]> {
  if (net.isIP(host)) return [host];
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [
    ...(v4.status === "fulfilled" ? v4.value : []),
    ...(v6.status === "fulfilled" ? v6.value : []),
  ];
  if (addresses.length > 0) return addresses;
  const failures = [v4, v6].filter((result) => result.status === "rejected");
  const hardFailure = failures.find((failure) => !missing.has(code(failure.reason)));
  if (hardFailure) {
    throw new DeliveryError(
      `451 4.4.3 address lookup for ${host} failed: ${code(hardFailure.reason) || hardFailure.reason}`,
      false,
      "4.4.3",
    );
  }
  return [];
}
