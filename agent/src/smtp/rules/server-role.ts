// Policy row 25 at RCPT. A backup MX accepts its backup domains from anyone — the relay check does not
// apply to them, the queue forwards them to the primary — and serves no other local domain: mail for a
// local domain it does not back up is refused (550), so nothing is ever delivered locally there. A
// backup domain that is also a local domain still has its mailboxes checked (local-recipient), so
// unknown addresses are refused at RCPT rather than bounced later. Other roles change routing only
// (../../delivery/routing.ts) and leave RCPT to the rules after this one.
import { findDomain, splitAddress } from "../active-config";
import { accept, proceed, reject, type RcptToContext, type Rule } from "./types";

export const serverRole: Rule<RcptToContext> = {
  id: "server-role",
  evaluate(context) {
    const { role, backupDomains } = context.config.server.serverRole;
    if (role !== "backup-mx") return proceed;
    const { domain } = splitAddress(context.recipient);
    const isLocal = findDomain(context.config, domain) !== undefined;
    if (backupDomains.includes(domain)) return isLocal ? proceed : accept;
    if (isLocal) return reject(550, `5.7.1 This server is only a backup MX; ${domain} is not served here`);
    return proceed;
  },
};
