// POLICY.md row 19, the blacklist half: a client whose address is covered by a live entry of the
// server's `ipBlacklist` gets 554 instead of the greeting, on every SMTP listener, and is disconnected;
// the POP3 listeners turn it away too (../../pop3/pop3-server.ts). The admin's reason goes to the log,
// not to the client (it may name a customer or an incident). No whitelist entry can skip this rule.
// Expired entries are ignored.
import type { IpBlacklistEntry, Policy } from "@mailwarden/policy";
import { entriesFor } from "../ip-lists";
import { proceed, reject, type ConnectContext, type Rule } from "./types";

export const IP_BLACKLIST_RULE = "connect.ip-blacklist";

/** The live blacklist entry covering `ip`, if any. */
export function blacklistEntryFor(policy: Policy, ip: string, now: number): IpBlacklistEntry | undefined {
  return entriesFor(policy.ipBlacklist, ip, now)[0];
}

export const ipBlacklist: Rule<ConnectContext> = {
  id: IP_BLACKLIST_RULE,
  evaluate(context) {
    const entry = blacklistEntryFor(context.config.server, context.remoteAddress, Date.now());
    if (!entry) return proceed;
    context.logger.info(
      {
        phase: "connect",
        session: context.sessionId,
        client: context.remoteAddress,
        rule: IP_BLACKLIST_RULE,
        network: entry.network,
        reason: entry.reason,
        expiresAt: entry.expiresAt,
      },
      "blacklist entry matched",
    );
    return reject(
      554,
      `5.7.1 Connections from your address are refused by this server (blacklist ${entry.network})`,
    );
  },
};
