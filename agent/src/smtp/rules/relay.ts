// POLICY.md row 1: only authenticated users may send to remote domains, so the server is never an open
// relay (554 5.7.1). "authenticated-or-whitelist" also lets addresses relay whose IP whitelist entry
// (row 19) skips "relay" — under the other modes such an entry changes nothing; "local-networks"
// additionally trusts loopback clients (127.0.0.0/8, ::1) — there is no configurable network list yet,
// and trusting anything wider by default would be an open relay.
import { findDomain, splitAddress } from "../active-config";
import { clientAddress, isWhitelistedFor } from "../ip-lists";
import { accept, proceed, reject, type RcptToContext, type Rule } from "./types";

export const relay: Rule<RcptToContext> = {
  id: "relay",
  evaluate(context) {
    const { domain } = splitAddress(context.recipient);
    if (domain && findDomain(context.config, domain)) return proceed;
    if (context.authenticatedUser) return accept;
    const { server } = context.config;
    if (server.relay === "local-networks" && isLoopback(context.remoteAddress)) return accept;
    if (
      server.relay === "authenticated-or-whitelist" &&
      isWhitelistedFor(server, context.remoteAddress, "relay", Date.now())
    ) {
      return accept;
    }
    return reject(554, "5.7.1 Relay access denied");
  },
};

function isLoopback(ip: string): boolean {
  const { address, family } = clientAddress(ip);
  return family === "ipv4" ? address.startsWith("127.") : address === "::1";
}
