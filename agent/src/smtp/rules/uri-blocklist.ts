// POLICY.md row 18: the domains of the links in inbound mail are looked up in the server's URI
// blocklist zones (SURBL style: "<domain>.<zone>" has an A record in 127.0.0.0/8 when listed), through
// the agent's one resolver. Under "reject" a listed link refuses the message (554 5.7.1, naming the
// link and the list); under "tag" the message is delivered with an X-Mailwarden-URIBL header that
// mail filters can act on; "off" asks nothing. Mail of logged-in users is not inbound and is skipped.
// Answers 127.0.0.1 and 127.255.255.x are the lists' "you may not query" / error codes, not a
// listing. A lookup that fails (timeout, SERVFAIL) tempfails under "reject" (451), as SPF does, so
// a dead resolver never waves listed mail through; under "tag" it only leaves the message untagged.
// Lookups give up after LOOKUP_DEADLINE_MS, well inside the rule engine's own limit, so a dead list
// never turns a "tag" into the engine's tempfail.
import type { DnsResolver } from "../../dns/resolver";
import { blocklistNames, linkHosts } from "../message-uris";
import { withTimeout } from "./run-rules";
import { proceed, reject, type MessageContext, type Rule } from "./types";

export const URIBL_HEADER = "X-Mailwarden-URIBL";
const LOOKUP_DEADLINE_MS = 5_000;

interface Listing {
  host: string;
  zone: string;
}

export const uriBlocklist: Rule<MessageContext> = {
  id: "uri-blocklist",
  async evaluate(context) {
    const { uriBlocklist: mode, uriBlocklistZones: zones } = context.config.server;
    if (context.authenticatedUser || mode === "off" || zones.length === 0) return proceed;
    const hosts = linkHosts(context.message);
    if (hosts.length === 0) return proceed;
    const { listing, hasFailed } = await firstListing(context.dns, hosts, zones);
    if (listing) {
      if (mode === "reject") {
        return reject(554, `5.7.1 Message refused: it links to ${listing.host}, listed by ${listing.zone}`);
      }
      context.addHeader(`${URIBL_HEADER}: ${listing.host} listed by ${listing.zone}`);
      context.logger.info(
        {
          phase: "data",
          session: context.sessionId,
          client: context.remoteAddress,
          rule: uriBlocklist.id,
          outcome: "tag",
          link: listing.host,
          zone: listing.zone,
        },
        "rule tagged",
      );
      return proceed;
    }
    if (hasFailed && mode === "reject") {
      return {
        action: "tempfail",
        code: 451,
        message: "4.4.3 URI blocklist lookup failed on a DNS error, try again later",
      };
    }
    return proceed;
  },
};

/** Every (zone, name) pair is asked at once; the first listing in zone order, then link order, wins. */
async function firstListing(
  dns: DnsResolver,
  hosts: readonly string[],
  zones: readonly string[],
): Promise<{ listing: Listing | null; hasFailed: boolean }> {
  const questions = zones.flatMap((zone) =>
    hosts.flatMap((host) => blocklistNames(host).map((name) => ({ zone, host, name }))),
  );
  const answers = await Promise.all(
    questions.map(({ zone, name }) =>
      withTimeout(isListed(dns, `${name}.${zone}`), LOOKUP_DEADLINE_MS).catch(() => "failed" as const),
    ),
  );
  const index = answers.indexOf("listed");
  const listing = index >= 0 ? { host: questions[index]!.host, zone: questions[index]!.zone } : null;
  return { listing, hasFailed: answers.includes("failed") };
}

async function isListed(dns: DnsResolver, name: string): Promise<"listed" | "clean" | "failed"> {
  try {
    const addresses = await dns.resolve4(name);
    return addresses.some(isListingCode) ? "listed" : "clean";
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === "ENOTFOUND" || code === "ENODATA" ? "clean" : "failed";
  }
}

function isListingCode(address: string): boolean {
  return address.startsWith("127.") && address !== "127.0.0.1" && !address.startsWith("127.255.255.");
}
