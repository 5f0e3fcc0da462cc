// Policy row 25, in the queue: where each recipient's copy goes, decided at delivery time from the
// server's role. A primary writes local mailboxes to Maildir and sends remote mail to the domain's MX.
// A backup MX never delivers locally: its backup domains go to the primary (the relay host), retried on
// the normal schedule while the primary is down. An incoming gateway forwards local-domain mail to the
// relay host instead of Maildir. A primary with a smarthost hands all remote mail to the relay host, with
// no MX lookup. An outgoing gateway delivers remote mail itself by MX (it is the smarthost of others;
// who may relay through it is row 1).
import { parseRelayHost } from "@mailwarden/policy";
import { findDomain, splitAddress, type ActiveConfig } from "../smtp/active-config";

export type DeliveryRoute =
  { via: "maildir" } | { via: "mx" } | { via: "relay"; host: string; port: number | null; rule: string };

/** The route of one recipient; `hasMailbox` says whether it was resolved to a local mailbox at DATA. */
export function routeOf(config: ActiveConfig, address: string, hasMailbox: boolean): DeliveryRoute {
  const { role, relayHost, backupDomains } = config.server.serverRole;
  const relay = relayHost === null ? null : parseRelayHost(relayHost);
  const domain = splitAddress(address).domain;
  if (relay) {
    if (role === "backup-mx" && backupDomains.includes(domain)) {
      return { via: "relay", ...relay, rule: "server-role.backup-mx" };
    }
    if (role === "incoming-gateway" && (hasMailbox || findDomain(config, domain))) {
      return { via: "relay", ...relay, rule: "server-role.incoming-gateway" };
    }
    if (role === "primary-with-smarthost" && !hasMailbox && !findDomain(config, domain)) {
      return { via: "relay", ...relay, rule: "server-role.smarthost" };
    }
  }
  return hasMailbox ? { via: "maildir" } : { via: "mx" };
}
