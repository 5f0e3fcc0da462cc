// POLICY.md row 17: on the inbound listener the client's address is looked up in every DNS blocklist
// zone of the server policy (octets or nibbles reversed, then the zone; an A record in 127/8 = listed),
// through the agent's one resolver, all zones at once. A listed client gets Postfix's familiar
// "554 5.7.1 Service unavailable; client host [ip] blocked using <zone>" instead of the greeting.
// Not checked: the submission listeners (users on home connections are on policy lists such as
// Spamhaus PBL, part of zen, and they authenticate anyway), the host itself, and addresses whose
// whitelist entry skips "dnsbl".
// A lookup that fails or outlasts DNSBL_TIMEOUT_MS, and the 127.255.255.x answers with which Spamhaus
// refuses a query (e.g. one sent through a public resolver), mean "unknown", not "listed": an outage of
// a third-party list must not stop all inbound mail. Each is logged with this rule's id.
import { clientAddress, isHostItself, isWhitelistedFor } from "../ip-lists";
import { withTimeout } from "./run-rules";
import { proceed, reject, type ConnectContext, type Rule } from "./types";

/** All zones together, well inside the runner's 10 s: the client is waiting for its greeting. */
export const DNSBL_TIMEOUT_MS = 3000;

type ZoneAnswer =
  | { zone: string; verdict: "listed"; answer: string }
  | { zone: string; verdict: "clean" }
  | { zone: string; verdict: "unknown"; error: string };

export const dnsbl: Rule<ConnectContext> = {
  id: "connect.dnsbl",
  async evaluate(context) {
    const policy = context.config.server;
    if (!policy.dnsBlocklists || policy.dnsBlocklistZones.length === 0) return proceed;
    if (context.listener !== "inbound" || isHostItself(context.remoteAddress)) return proceed;
    if (isWhitelistedFor(policy, context.remoteAddress, "dnsbl", Date.now())) return proceed;
    const reversed = reversedName(context.remoteAddress);
    if (!reversed) return proceed;
    const answers = await Promise.all(
      policy.dnsBlocklistZones.map((zone) => lookUp(context, `${reversed}.${zone}`, zone)),
    );
    for (const answer of answers) {
      if (answer.verdict !== "unknown") continue;
      context.logger.warn(
        {
          phase: "connect",
          session: context.sessionId,
          client: context.remoteAddress,
          rule: dnsbl.id,
          zone: answer.zone,
          error: answer.error,
        },
        "blocklist lookup failed; not counted as listed",
      );
    }
    const listed = answers.find((answer) => answer.verdict === "listed");
    if (!listed) return proceed;
    const ip = clientAddress(context.remoteAddress).address;
    return reject(554, `5.7.1 Service unavailable; client host [${ip}] blocked using ${listed.zone}`);
  },
};

async function lookUp(context: ConnectContext, name: string, zone: string): Promise<ZoneAnswer> {
  try {
    const addresses = await withTimeout(context.dns.resolve4(name), DNSBL_TIMEOUT_MS);
    const listing = addresses.find(
      (address) => address.startsWith("127.") && !address.startsWith("127.255.255."),
    );
    if (listing) return { zone, verdict: "listed", answer: listing };
    if (addresses.length > 0) return { zone, verdict: "unknown", error: `refused: ${addresses.join(", ")}` };
    return { zone, verdict: "clean" };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTFOUND" || code === "ENODATA") return { zone, verdict: "clean" };
    return { zone, verdict: "unknown", error: code ?? (error as Error).message };
  }
}

/** "192.0.2.5" → "5.2.0.192"; IPv6 → its 32 nibbles reversed (RFC 5782); null if not an address. */
export function reversedName(ip: string): string | null {
  const { address, family } = clientAddress(ip);
  if (family === "ipv4") return address.split(".").reverse().join(".");
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2 || address.includes(".")) return null;
  const [head, tail] = halves.map((half) => (half === "" ? [] : half.split(":")));
  const missing = 8 - (head!.length + (tail?.length ?? 0));
  const groups = tail === undefined ? head! : [...head!, ...Array<string>(missing).fill("0"), ...tail];
  if (groups.length !== 8 || !groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  return groups
    .map((group) => group.padStart(4, "0"))
    .join("")
    .split("")
    .reverse()
    .join(".");
}
