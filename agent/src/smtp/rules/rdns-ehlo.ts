// POLICY.md row 16, judged at MAIL FROM on the inbound listener, once the client has said EHLO/HELO:
// 1. forward-confirmed reverse DNS (FCrDNS, RFC 8601's "iprev"): a PTR name of the client address
//    whose A/AAAA records lead back to it;
// 2. the EHLO name agrees with the client: it is that confirmed name, resolves to the client address,
//    or is the client's own address literal ("[192.0.2.1]").
// `tag` (the default) writes the verdict into an X-Mailwarden-Rdns header of the message and the log;
// `reject` refuses MAIL FROM with 550 5.7.25 (RFC 7372: reverse DNS validation failed), or 451 4.7.25
// while DNS cannot answer, so a sender is never refused for our resolver's trouble; `off` asks nothing.
// Authenticated users, the submission listeners, the host itself and whitelist entries that skip
// "rdns" are not checked: people on home connections have no meaningful reverse DNS.
import net from "node:net";
import type { DnsResolver } from "../../dns/resolver";
import { clientAddress, isHostItself, isWhitelistedFor } from "../ip-lists";
import { withTimeout } from "./run-rules";
import { proceed, reject, type ClientContext, type Rule } from "./types";

/** PTR names followed at most (a host with dozens of PTRs is unusual and not worth the lookups). */
const MAX_PTR_NAMES = 5;
const RDNS_TIMEOUT_MS = 5000;

export type RdnsVerdict =
  | { result: "pass"; name: string }
  | { result: "fail"; name: string | null; reason: string }
  | { result: "temperror"; reason: string };

export const rdnsEhlo: Rule<ClientContext> = {
  id: "rdns-ehlo",
  async evaluate(context) {
    const policy = context.config.server;
    const ip = context.remoteAddress;
    if (policy.rdnsCheck === "off" || context.listener !== "inbound" || context.authenticatedUser) {
      return proceed;
    }
    if (isHostItself(ip) || isWhitelistedFor(policy, ip, "rdns", Date.now())) return proceed;
    const verdict = await withTimeout(checkRdns(context.dns, ip, context.helo), RDNS_TIMEOUT_MS).catch(
      (error: Error): RdnsVerdict => ({ result: "temperror", reason: error.message }),
    );
    if (verdict.result === "pass") return proceed;
    if (policy.rdnsCheck === "reject") {
      return verdict.result === "temperror"
        ? { action: "tempfail", code: 451, message: "4.7.25 Reverse DNS lookup failed, try again later" }
        : reject(550, `5.7.25 Reverse DNS validation failed: ${verdict.reason}`);
    }
    const address = clientAddress(ip).address;
    const name = verdict.result === "fail" && verdict.name ? `; ptr=${verdict.name}` : "";
    // PTR names come from whoever controls the client's reverse zone: nothing but printable ASCII.
    const value = `${verdict.result}; ip=${address}${name}; ehlo=${context.helo ?? "none"}; reason=${verdict.reason}`;
    context.addHeader(`X-Mailwarden-Rdns: ${value.replace(/[^\x20-\x7e]/g, "?")}`);
    context.logger.info(
      {
        phase: "mail",
        session: context.sessionId,
        client: ip,
        rule: rdnsEhlo.id,
        outcome: "tag",
        result: verdict.result,
        reason: verdict.reason,
        helo: context.helo,
      },
      "rule tagged",
    );
    return proceed;
  },
};

/** FCrDNS of `ip`, then whether `helo` agrees with it; lookups through the agent's resolver. */
export async function checkRdns(dns: DnsResolver, ip: string, helo: string | null): Promise<RdnsVerdict> {
  const { address, family } = clientAddress(ip);
  const forward = (name: string) => (family === "ipv4" ? dns.resolve4(name) : dns.resolve6(name));
  const names = await lookUp(() => dns.reverse(address));
  if (names === "error") return { result: "temperror", reason: "PTR lookup failed" };
  if (names.length === 0) return { result: "fail", name: null, reason: `no PTR record for ${address}` };
  let confirmed: string | null = null;
  for (const name of names.slice(0, MAX_PTR_NAMES)) {
    const addresses = await lookUp(() => forward(name));
    if (addresses === "error") return { result: "temperror", reason: `lookup of ${name} failed` };
    if (addresses.some((candidate) => sameAddress(candidate, address))) {
      confirmed = name.toLowerCase().replace(/\.$/, "");
      break;
    }
  }
  if (!confirmed) {
    return { result: "fail", name: names[0]!, reason: `PTR ${names[0]} does not resolve back to ${address}` };
  }
  const ehlo = (helo ?? "").toLowerCase().replace(/\.$/, "");
  if (ehlo === confirmed || ehlo === `[${address}]` || ehlo === `[ipv6:${address}]`) {
    return { result: "pass", name: confirmed };
  }
  if (ehlo && !ehlo.startsWith("[")) {
    const ehloAddresses = await lookUp(() => forward(ehlo));
    if (ehloAddresses === "error") return { result: "temperror", reason: `lookup of EHLO ${ehlo} failed` };
    if (ehloAddresses.some((candidate) => sameAddress(candidate, address))) {
      return { result: "pass", name: confirmed };
    }
  }
  return {
    result: "fail",
    name: confirmed,
    reason: `EHLO ${ehlo || "(none)"} matches neither ${confirmed} nor ${address}`,
  };
}

/** Answers, [] for "no such name / no such record", "error" when DNS could not say. */
async function lookUp(query: () => Promise<string[]>): Promise<string[] | "error"> {
  try {
    return await query();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOTFOUND" || code === "ENODATA" ? [] : "error";
  }
}

/** Equal addresses, however an IPv6 one is written ("2001:db8::1" = "2001:0db8:0:0::0001"). */
function sameAddress(a: string, b: string): boolean {
  const family = net.isIPv4(b) ? "ipv4" : "ipv6";
  if (net.isIP(a) !== net.isIP(b)) return false;
  const list = new net.BlockList();
  list.addAddress(b, family);
  return list.check(a, family);
}
