// Where mail for one envelope recipient really goes, decided once at queue time: a local mailbox, an
// alias expanded to its targets (local ones into their Maildir, remote ones over SMTP), or the domain's
// catch-all mailbox (row 5) for an unknown local address. The RCPT rule asks the same question, so an
// address is accepted only if this expansion leads somewhere. Where the server role (row 25) hands the
// domain's mail to a relay host (a backup MX, an incoming gateway), aliases, mailing lists and the
// catch-all are left to the server behind it: the address is forwarded as it came. A mailing list (row
// 22) expands to its members; its <list>-bounces address is not expanded (../lists/bounce-report.ts
// reads what arrives there), but forwarded like the list where the server role relays the domain.
import {
  findDomain,
  findListByBounceAddress,
  findMailingList,
  listOfBounceAddress,
  splitAddress,
  type ActiveConfig,
  type LocalMailbox,
  type LocalMailingList,
} from "./active-config";

/** Aliases of aliases are followed this deep; deeper targets are dropped (a misconfiguration). */
export const MAX_ALIAS_DEPTH = 5;

export type DeliveryTarget =
  { kind: "local"; mailbox: LocalMailbox; domain: string } | { kind: "remote"; address: string };

/**
 * The final targets of `address`, deduplicated. Loop-safe: an address already on the path is not
 * expanded again. Empty for an unknown local address without catch-all (refused at RCPT).
 */
export function expandRecipient(config: ActiveConfig, address: string): DeliveryTarget[] {
  const targets = new Map<string, DeliveryTarget>();
  const visit = (current: string, depth: number, seen: ReadonlySet<string>): void => {
    const { localPart, domain } = splitAddress(current);
    const local = findDomain(config, domain);
    if (!local) {
      const key = `${localPart}@${domain}`;
      if (!targets.has(key.toLowerCase())) targets.set(key.toLowerCase(), { kind: "remote", address: key });
      return;
    }
    const lowered = localPart.toLowerCase();
    const key = `${lowered}@${local.name}`;
    const mailbox = local.mailboxes.get(lowered);
    if (mailbox) {
      targets.set(mailbox.address, { kind: "local", mailbox, domain: local.name });
      return;
    }
    const isRelayed = relaysDomain(config, local.name);
    const list = local.mailingLists.get(lowered);
    const isListBounces = listOfBounceAddress(local, lowered) !== undefined;
    const forwarded =
      local.aliases.has(lowered) || list || isListBounces || local.policy.catchAllMailbox !== null;
    if (isRelayed && forwarded) {
      targets.set(key, { kind: "remote", address: key });
      return;
    }
    if (list) {
      // Row 22: only the envelope recipient itself expands to the members; a list reached through an
      // alias or another list leads nowhere, since that path would skip its posting check.
      if (depth > 0) return;
      const path = new Set(seen).add(key);
      for (const member of list.members) visit(member, depth + 1, path);
      return;
    }
    const alias = local.aliases.get(lowered);
    if (alias) {
      if (seen.has(key) || depth >= MAX_ALIAS_DEPTH) return;
      const path = new Set(seen).add(key);
      for (const target of alias) visit(target, depth + 1, path);
      return;
    }
    const catchAll = local.policy.catchAllMailbox;
    const catchAllMailbox = catchAll === null ? undefined : local.mailboxes.get(catchAll);
    if (catchAllMailbox) {
      targets.set(catchAllMailbox.address, { kind: "local", mailbox: catchAllMailbox, domain: local.name });
    }
  };
  visit(address, 0, new Set());
  return [...targets.values()];
}

/** The server role forwards this local domain's mail to its relay host instead of Maildir. */
export function relaysDomain(config: ActiveConfig, domain: string): boolean {
  const { role, relayHost, backupDomains } = config.server.serverRole;
  if (relayHost === null) return false;
  return role === "incoming-gateway" || (role === "backup-mx" && backupDomains.includes(domain));
}

/** The list whose bounce address is `address`, when this server serves the list. */
export function servedListBounces(config: ActiveConfig, address: string): LocalMailingList | undefined {
  const list = findListByBounceAddress(config, address);
  return list && !relaysDomain(config, splitAddress(address).domain) ? list : undefined;
}

/** The mailing list at `address` when this server serves it (not forwarded by the server role). */
export function servedMailingList(config: ActiveConfig, address: string): LocalMailingList | undefined {
  const list = findMailingList(config, address);
  return list && !relaysDomain(config, splitAddress(address).domain) ? list : undefined;
}
