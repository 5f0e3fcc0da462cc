// POLICY.md row 19, the blacklist half: a client whose address is covered by a live entry of the
// server's `ipBlacklist` gets 554 instead of the greeting, on every listener, and is disconnected. The
// admin's reason goes to the log, not to the client (it may name a customer or an incident). No
// whitelist entry can skip this rule. Expired entries are ignored.
import { entriesFor } from "../ip-lists";
import { proceed, reject, type ConnectContext, type Rule } from "./types";

export const ipBlacklist: Rule<ConnectContext> = {
  id: "connect.ip-blacklist",
  evaluate(context) {
    const [entry] = entriesFor(context.config.server.ipBlacklist, context.remoteAddress, Date.now());
    if (!entry) return proceed;
    return reject(
      554,
      `5.7.1 Connections from your address are refused by this server (blacklist ${entry.network})`,
    );
  },
};
