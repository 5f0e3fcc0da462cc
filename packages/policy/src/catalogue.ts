// One entry per setting: its POLICY.md row, the levels where it may be set, its secure default and a
// one-line why. The dashboard renders its editor from this table; inheritance uses `levels`.
import { isAbuseRuleLoosening, type AbuseRuleValues } from "./abuse-detection";
import type { Policy, PolicyKey } from "./schema";

export type PolicyLevel = "provider" | "customer" | "domain" | "server";

/** The editor's sections, in the order an admin reads them. */
export const settingGroups = [
  "Relay & authentication",
  "Passwords",
  "Anti-spam",
  "TLS",
  "Limits & abuse detection",
  "Bounces & auto-responders",
  "Mailing lists",
  "Logging",
  "Delivery & server role",
] as const;
export type SettingGroup = (typeof settingGroups)[number];

export interface SettingInfo<K extends PolicyKey = PolicyKey> {
  key: K;
  row: number;
  label: string;
  group: SettingGroup;
  levels: readonly PolicyLevel[];
  secureDefault: Policy[K];
  why: string;
  /** What loosening this setting exposes, shown before a user confirms. */
  looseningRisk: string;
}

export const defaultPolicy: Policy = {
  relay: "nobody",
  requireSmtpAuth: true,
  requireAuthMatch: "address",
  smtpAuthForLocalDeliveries: true,
  tlsMinVersion: "TLSv1.2",
  tlsCiphers: "strong",
  authOnlyOverTls: true,
  passwordPolicy: { minLength: 12, minClasses: 3, forbidUserOrDomainName: true, forbidCommon: true },
  catchAllMailbox: null,
  bounces: "require-spf-pass",
  autoResponders: "require-spf-pass",
  spfCheck: "reject-fail",
  dmarcCompliance: "honor-policy",
  dkimVerify: true,
  dkimSigning: true,
  outboundThrottle: {
    action: "delay",
    mailboxMessagesPerHour: 100,
    mailboxMessagesPerDay: 500,
    domainMessagesPerHour: 1000,
    domainMessagesPerDay: 5000,
    recipientsPerMessage: 50,
  },
  uriBlocklist: "tag",
  mailingListPosting: "members",
  maxMailingListsPerDomain: 10,
  uriBlocklistZones: ["multi.surbl.org", "dbl.spamhaus.org"],
  smtpLogLevel: "detailed",
  deliveryLogLevel: "detailed",
  connectionLimits: { maxConcurrent: 500, maxPerIp: 10, maxNewPerIpPerMinute: 60 },
  rdnsCheck: "tag",
  dnsBlocklists: true,
  dnsBlocklistZones: ["zen.spamhaus.org"],
  ipBlacklist: [],
  ipWhitelist: [],
  // Row 21, after SmarterMail's IDS defaults, tightened where row 15 already refuses the excess.
  abuseDenialOfService: { enabled: true, connections: 120, minutes: 1, blockMinutes: 60 },
  abuseHarvesting: { enabled: true, unknownRecipients: 10, minutes: 10, blockMinutes: 60 },
  abuseBruteForce: { enabled: true, failures: 5, minutes: 10, blockMinutes: 60 },
  abuseInternalSpammer: { enabled: true, messages: 50, minutes: 10 },
  abuseLoginGrace: { trustMinutes: 60, delayMinutes: 5 },
  retryScheduleMinutes: [10, 10, 10, 1440],
  serverRole: { role: "primary", relayHost: null, backupDomains: [] },
};

export const settings: { [K in PolicyKey]: SettingInfo<K> } = {
  relay: {
    key: "relay",
    row: 1,
    label: "Relay",
    group: "Relay & authentication",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.relay,
    why: "Only authenticated users may send to remote domains, so the server is never an open relay.",
    looseningRisk:
      "Unauthenticated clients could use this server to send mail to anyone, and it would land on blocklists.",
  },
  requireSmtpAuth: {
    key: "requireSmtpAuth",
    row: 2,
    label: "Require SMTP authentication",
    group: "Relay & authentication",
    levels: ["provider", "customer", "domain"],
    secureDefault: defaultPolicy.requireSmtpAuth,
    why: "Mail claiming to come from this domain must be sent by a logged-in user (530 otherwise).",
    looseningRisk: "Anyone could send mail that claims to come from this domain without a password.",
  },
  requireAuthMatch: {
    key: "requireAuthMatch",
    row: 3,
    label: "Require auth match",
    group: "Relay & authentication",
    levels: ["provider", "customer", "domain"],
    secureDefault: defaultPolicy.requireAuthMatch,
    why: "A logged-in user can only send as their own address: another MAIL FROM gets 553, another From header 550.",
    looseningRisk:
      "A user, or whoever stole their password, could send mail that claims to come from a colleague or the boss.",
  },
  smtpAuthForLocalDeliveries: {
    key: "smtpAuthForLocalDeliveries",
    row: 4,
    label: "SMTP auth for local deliveries",
    group: "Relay & authentication",
    levels: ["provider", "domain"],
    secureDefault: defaultPolicy.smtpAuthForLocalDeliveries,
    why: "Mail from a local address to a local mailbox must be sent by a logged-in user (530), even where SMTP auth is not required.",
    looseningRisk:
      "Anyone on the internet could send your users mail that looks like it came from a colleague on this server.",
  },
  tlsMinVersion: {
    key: "tlsMinVersion",
    row: 12,
    label: "Minimum TLS version",
    group: "TLS",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.tlsMinVersion,
    why: "TLS 1.0 and 1.1 are broken and never offered; 1.2 keeps old but sound clients working.",
    looseningRisk: "Nothing lower than TLS 1.2 can be chosen.",
  },
  tlsCiphers: {
    key: "tlsCiphers",
    row: 12,
    label: "TLS cipher suites",
    group: "TLS",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.tlsCiphers,
    why: "Only forward-secret suites with authenticated encryption (AES-GCM, ChaCha20-Poly1305) are offered on every listener, and clients may never renegotiate.",
    looseningRisk:
      "Old CBC-mode suites (still forward-secret, never RSA key exchange) are offered too: weaker against padding-oracle attacks.",
  },
  authOnlyOverTls: {
    key: "authOnlyOverTls",
    row: 13,
    label: "Authentication only over TLS",
    group: "TLS",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.authOnlyOverTls,
    why: "Passwords never cross the network in clear: AUTH is hidden and refused until STARTTLS.",
    looseningRisk: "Mailbox passwords could be sent unencrypted and read by anyone on the path.",
  },
  passwordPolicy: {
    key: "passwordPolicy",
    row: 14,
    label: "Password policy",
    group: "Passwords",
    levels: ["provider", "customer", "domain"],
    secureDefault: defaultPolicy.passwordPolicy,
    why: "Long passwords from several character classes resist guessing and credential stuffing.",
    looseningRisk: "Weaker passwords are easier to guess by brute force.",
  },
  catchAllMailbox: {
    key: "catchAllMailbox",
    row: 5,
    label: "Catch-all",
    group: "Relay & authentication",
    levels: ["provider", "customer", "domain"],
    secureDefault: defaultPolicy.catchAllMailbox,
    why: "Mail to unknown addresses is refused at RCPT, so spammers cannot harvest addresses.",
    looseningRisk:
      "Every guessed address is accepted: spam to made-up addresses fills the catch-all mailbox.",
  },
  bounces: {
    key: "bounces",
    row: 6,
    label: "Bounces (DSN)",
    group: "Bounces & auto-responders",
    levels: ["provider", "domain"],
    secureDefault: defaultPolicy.bounces,
    why: "A failed delivery bounces only to senders that passed SPF, so forged senders get no backscatter.",
    looseningRisk: "Bounces to forged senders (backscatter) can get this server blocklisted.",
  },
  autoResponders: {
    key: "autoResponders",
    row: 7,
    label: "Auto-responders",
    group: "Bounces & auto-responders",
    levels: ["provider", "domain"],
    secureDefault: defaultPolicy.autoResponders,
    why: "Vacation replies go only to senders that passed SPF, never to lists or automated mail.",
    looseningRisk: "Auto-replies to forged senders turn this server into a spam reflector.",
  },
  spfCheck: {
    key: "spfCheck",
    row: 8,
    label: "SPF check",
    group: "Anti-spam",
    levels: ["provider", "domain"],
    secureDefault: defaultPolicy.spfCheck,
    why: "Mail from a server the sender's domain does not allow is refused (550).",
    looseningRisk: "Mail with forged senders reaches mailboxes, only tagged or not checked at all.",
  },
  dmarcCompliance: {
    key: "dmarcCompliance",
    row: 9,
    label: "DMARC compliance",
    group: "Anti-spam",
    levels: ["provider", "domain"],
    secureDefault: defaultPolicy.dmarcCompliance,
    why: "The sender domain's DMARC policy is honoured: p=reject is refused, p=quarantine goes to Junk.",
    looseningRisk: "Mail that the sender's domain asked to reject is delivered to the inbox.",
  },
  dkimVerify: {
    key: "dkimVerify",
    row: 10,
    label: "DKIM verification and ARC",
    group: "Anti-spam",
    levels: ["provider"],
    secureDefault: defaultPolicy.dkimVerify,
    why: "Signatures are checked and recorded in Authentication-Results; DMARC relies on them.",
    looseningRisk: "DMARC can no longer tell genuine signed mail from forgeries.",
  },
  dkimSigning: {
    key: "dkimSigning",
    row: 11,
    label: "DKIM signing",
    group: "Anti-spam",
    levels: ["domain"],
    secureDefault: defaultPolicy.dkimSigning,
    why: "Outbound mail is signed with a key generated on the server, so recipients can verify it.",
    looseningRisk: "Recipients cannot verify this domain's mail, and DMARC fails for it.",
  },
  outboundThrottle: {
    key: "outboundThrottle",
    row: 20,
    label: "Outbound throttling",
    group: "Limits & abuse detection",
    levels: ["provider", "customer", "domain"],
    secureDefault: defaultPolicy.outboundThrottle,
    why: "Each mailbox and each domain may send only so many messages per hour and per day, so a stolen password cannot turn the server into a spam cannon.",
    looseningRisk:
      "A compromised mailbox could send far more spam before anyone notices, and the server's IP would be blocklisted.",
  },
  uriBlocklist: {
    key: "uriBlocklist",
    row: 18,
    label: "URI blocklists",
    group: "Anti-spam",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.uriBlocklist,
    why: "Links in inbound mail are checked against URI blocklists (SURBL); a listed domain is tagged in a header or refused (554).",
    looseningRisk: "Mail linking to known phishing and malware sites reaches mailboxes unmarked.",
  },
  uriBlocklistZones: {
    key: "uriBlocklistZones",
    row: 18,
    label: "URI blocklist zones",
    group: "Anti-spam",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.uriBlocklistZones,
    why: "The URI blocklists asked about each link's domain, in order.",
    looseningRisk: "With fewer lists, fewer phishing and malware links are caught.",
  },
  mailingListPosting: {
    key: "mailingListPosting",
    row: 22,
    label: "Who may post to mailing lists",
    group: "Mailing lists",
    levels: ["provider", "customer", "domain"],
    secureDefault: defaultPolicy.mailingListPosting,
    why: "Only a list's members may post to it (550 5.7.1 for anyone else), unless the list itself says moderators only or anyone.",
    looseningRisk:
      "Anyone on the internet could send mail to every member of a list at once: spam and phishing sent by the list itself.",
  },
  maxMailingListsPerDomain: {
    key: "maxMailingListsPerDomain",
    row: 22,
    label: "Mailing lists per domain",
    group: "Mailing lists",
    levels: ["provider", "customer", "domain"],
    secureDefault: defaultPolicy.maxMailingListsPerDomain,
    why: "A domain may have at most 10 mailing lists, so one customer cannot turn the server into a bulk mailer.",
    looseningRisk: "More lists mean more addresses that fan one message out to many mailboxes.",
  },
  smtpLogLevel: {
    key: "smtpLogLevel",
    row: 23,
    label: "SMTP log level",
    group: "Logging",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.smtpLogLevel,
    why: "Every SMTP decision is recorded with the rule that made it, so abuse can be traced and explained.",
    looseningRisk: "Refused connections and commands are no longer recorded: abuse and mistakes go unseen.",
  },
  deliveryLogLevel: {
    key: "deliveryLogLevel",
    row: 23,
    label: "Delivery log level",
    group: "Logging",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.deliveryLogLevel,
    why: "Every delivery attempt, retry and bounce is recorded, so lost mail can be traced.",
    looseningRisk: "Failed and retried deliveries are no longer recorded: lost mail cannot be traced.",
  },
  connectionLimits: {
    key: "connectionLimits",
    row: 15,
    label: "Connection limits",
    group: "Limits & abuse detection",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.connectionLimits,
    why: "Per listener at most 500 sessions, 10 from one address and 60 new ones per address per minute (421 past them), so one host cannot lock everyone else out. The server's own 127.0.0.1 / ::1 count only towards the total.",
    looseningRisk:
      "One host can hold more sessions or reconnect faster: floods and dictionary attacks run quicker.",
  },
  rdnsCheck: {
    key: "rdnsCheck",
    row: 16,
    label: "Reverse DNS / EHLO check",
    group: "Anti-spam",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.rdnsCheck,
    why: "Inbound senders without forward-confirmed reverse DNS, or whose EHLO name does not match it, are tagged in a header and the log (or refused with 550). Submission ports are not checked.",
    looseningRisk: "Mail from hosts that hide who they are (bots on home connections) is no longer marked.",
  },
  dnsBlocklists: {
    key: "dnsBlocklists",
    row: 17,
    label: "DNS blocklists",
    group: "Anti-spam",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.dnsBlocklists,
    why: "Inbound clients listed on a DNS blocklist are refused at connect (554 naming the list). Submission ports are not checked: users on home connections are on such lists.",
    looseningRisk: "Known spam sources and botnets can connect and send.",
  },
  dnsBlocklistZones: {
    key: "dnsBlocklistZones",
    row: 17,
    label: "DNS blocklist zones",
    group: "Anti-spam",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.dnsBlocklistZones,
    why: "The blocklists asked about each inbound client address.",
    looseningRisk: "With fewer lists, fewer known spam sources are refused.",
  },
  ipBlacklist: {
    key: "ipBlacklist",
    row: 19,
    label: "IP blacklist",
    group: "Limits & abuse detection",
    levels: ["provider", "customer", "server"],
    secureDefault: defaultPolicy.ipBlacklist,
    why: "Listed addresses and networks are refused with 554 at connect on every listener, until the entry expires.",
    looseningRisk: "A removed or shortened entry lets that address connect again.",
  },
  ipWhitelist: {
    key: "ipWhitelist",
    row: 19,
    label: "IP whitelist",
    group: "Limits & abuse detection",
    levels: ["provider", "customer", "server"],
    secureDefault: defaultPolicy.ipWhitelist,
    why: "Empty: every client gets every check. An entry skips only the checks it names (connection limits, DNS blocklists, reverse DNS, relay where the relay setting allows whitelisted addresses), never authentication or the blacklist. Abuse detection never blocks a listed address.",
    looseningRisk:
      "The listed addresses skip the named checks: a compromised or reassigned address there is trusted.",
  },
  abuseDenialOfService: {
    key: "abuseDenialOfService",
    row: 21,
    label: "Abuse detection: denial of service",
    group: "Limits & abuse detection",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.abuseDenialOfService,
    why: "An address that opens 120 connections within a minute (SMTP and POP3 together) is refused with 554 for an hour. Whitelisted addresses are never blocked; blocks show on the server page, where they can be lifted.",
    looseningRisk: "A flooding host keeps its connections coming for longer before it is shut out.",
  },
  abuseHarvesting: {
    key: "abuseHarvesting",
    row: 21,
    label: "Abuse detection: address harvesting",
    group: "Limits & abuse detection",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.abuseHarvesting,
    why: "An address that tries 10 unknown recipients in one session or within 10 minutes is blocked for an hour: it is guessing which addresses exist.",
    looseningRisk: "Spammers can test more guessed addresses and learn which mailboxes exist.",
  },
  abuseBruteForce: {
    key: "abuseBruteForce",
    row: 21,
    label: "Abuse detection: password brute force",
    group: "Limits & abuse detection",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.abuseBruteForce,
    why: "An address with 5 failed logins (SMTP AUTH or POP3) within 10 minutes is blocked for an hour, so passwords cannot be guessed at speed.",
    looseningRisk: "Attackers can try many more passwords before they are stopped.",
  },
  abuseInternalSpammer: {
    key: "abuseInternalSpammer",
    row: 21,
    label: "Abuse detection: internal spammer",
    group: "Limits & abuse detection",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.abuseInternalSpammer,
    why: "A logged-in user who sends 50 messages within 10 minutes has their queued mail held and sending suspended until an administrator lifts it; the customer's admins are alerted. A stolen password sends little spam.",
    looseningRisk:
      "A compromised mailbox can push far more spam out before it is stopped, and the server's IP gets blocklisted.",
  },
  abuseLoginGrace: {
    key: "abuseLoginGrace",
    row: 21,
    label: "Abuse detection: grace after a login",
    group: "Limits & abuse detection",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.abuseLoginGrace,
    why: "An address that logged in successfully within the last hour is first delayed (4xx for 5 minutes) instead of blocked, so a phone with an old password does not lock the whole office out.",
    looseningRisk: "An attacker who shares an address with a real user gets more time before the block.",
  },
  retryScheduleMinutes: {
    key: "retryScheduleMinutes",
    row: 24,
    label: "Delivery retry schedule",
    group: "Delivery & server role",
    levels: ["provider", "server"],
    secureDefault: defaultPolicy.retryScheduleMinutes,
    why: "Temporary failures are retried after 10, 10, 10 and 1440 minutes, then bounced per the bounce policy.",
    looseningRisk: "A different schedule changes how long mail waits before it bounces.",
  },
  serverRole: {
    key: "serverRole",
    row: 25,
    label: "Server role",
    group: "Delivery & server role",
    levels: ["server"],
    secureDefault: defaultPolicy.serverRole,
    why: "A primary delivers its own domains to Maildir and remote mail by MX, relaying for nobody else.",
    looseningRisk:
      "A backup MX accepts its listed domains from anyone and a gateway forwards mail to another host: a wrong host or domain sends mail where it should not go.",
  },
};

export const settingList: SettingInfo[] = Object.values(settings) as SettingInfo[];

/** Whether a change from `before` to `after` makes the setting less secure (asks for confirmation). */
export function isLoosening<K extends PolicyKey>(key: K, before: Policy[K], after: Policy[K]): boolean {
  switch (key) {
    case "relay":
      return before === "nobody" && after !== "nobody";
    case "requireSmtpAuth":
    case "authOnlyOverTls":
      return before === true && after === false;
    case "tlsCiphers":
      return before === "strong" && after !== "strong";
    case "tlsMinVersion":
      return before === "TLSv1.3" && after === "TLSv1.2";
    case "catchAllMailbox":
      return before === null && after !== null;
    case "bounces":
    case "autoResponders":
      return before !== "enabled" && after === "enabled";
    case "spfCheck":
    case "dmarcCompliance": {
      const strength = ["off", "tag", "reject-fail", "honor-policy"];
      return strength.indexOf(after as string) < strength.indexOf(before as string);
    }
    case "dkimVerify":
    case "dkimSigning":
    case "dnsBlocklists":
      return before === true && after === false;
    case "passwordPolicy": {
      const b = before as Policy["passwordPolicy"];
      const a = after as Policy["passwordPolicy"];
      return (
        a.minLength < b.minLength ||
        a.minClasses < b.minClasses ||
        (b.forbidCommon && !a.forbidCommon) ||
        (b.forbidUserOrDomainName && !a.forbidUserOrDomainName)
      );
    }
    case "smtpAuthForLocalDeliveries":
      return before === true && after === false;
    case "requireAuthMatch":
    case "uriBlocklist":
    case "smtpLogLevel":
    case "deliveryLogLevel": {
      // Strictest value first in each list; URI blocklists: reject is stricter than tag.
      const strength: Record<string, number> = {
        address: 2,
        domain: 1,
        reject: 2,
        tag: 1,
        detailed: 2,
        normal: 1,
        off: 0,
      };
      return (strength[after as string] ?? 0) < (strength[before as string] ?? 0);
    }
    case "mailingListPosting": {
      // moderators only is stricter than members, which is stricter than anyone
      const strength = ["anyone", "members", "moderators"];
      return strength.indexOf(after as string) < strength.indexOf(before as string);
    }
    case "maxMailingListsPerDomain":
      return (after as number) > (before as number);
    case "uriBlocklistZones":
      return (before as string[]).some((zone) => !(after as string[]).includes(zone));
    case "outboundThrottle": {
      // Raising a limit loosens; delay vs reject only changes what the client is told.
      const b = before as Policy["outboundThrottle"];
      const a = after as Policy["outboundThrottle"];
      return (
        a.mailboxMessagesPerHour > b.mailboxMessagesPerHour ||
        a.mailboxMessagesPerDay > b.mailboxMessagesPerDay ||
        a.domainMessagesPerHour > b.domainMessagesPerHour ||
        a.domainMessagesPerDay > b.domainMessagesPerDay ||
        a.recipientsPerMessage > b.recipientsPerMessage
      );
    }
    case "rdnsCheck": {
      const strength = ["off", "tag", "reject"];
      return strength.indexOf(after as string) < strength.indexOf(before as string);
    }
    case "dnsBlocklistZones":
      return (before as string[]).some((zone) => !(after as string[]).includes(zone));
    case "connectionLimits": {
      const b = before as Policy["connectionLimits"];
      const a = after as Policy["connectionLimits"];
      return (
        a.maxConcurrent > b.maxConcurrent ||
        a.maxPerIp > b.maxPerIp ||
        a.maxNewPerIpPerMinute > b.maxNewPerIpPerMinute
      );
    }
    case "ipBlacklist": {
      // Loosening: an entry gone, or ending sooner than before.
      return (before as Policy["ipBlacklist"]).some((old) => {
        const kept = (after as Policy["ipBlacklist"]).find((entry) => entry.network === old.network);
        return !kept || ends(kept) < ends(old);
      });
    }
    case "ipWhitelist":
      // Loosening: an address skips something it did not skip before, or for longer.
      return (after as Policy["ipWhitelist"]).some((entry) => {
        const old = (before as Policy["ipWhitelist"]).find((known) => known.network === entry.network);
        return !old || entry.skips.some((skip) => !old.skips.includes(skip)) || ends(entry) > ends(old);
      });
    case "abuseDenialOfService":
      return isAbuseRuleLoosening(before as AbuseRuleValues, after as AbuseRuleValues, ["connections"]);
    case "abuseHarvesting":
      return isAbuseRuleLoosening(before as AbuseRuleValues, after as AbuseRuleValues, ["unknownRecipients"]);
    case "abuseBruteForce":
      return isAbuseRuleLoosening(before as AbuseRuleValues, after as AbuseRuleValues, ["failures"]);
    case "abuseInternalSpammer":
      return isAbuseRuleLoosening(before as AbuseRuleValues, after as AbuseRuleValues, ["messages"]);
    case "abuseLoginGrace":
      // More trust, or a longer delay, both put the block off.
      return isAbuseRuleLoosening(before as AbuseRuleValues, after as AbuseRuleValues, [
        "trustMinutes",
        "delayMinutes",
      ]);
    case "serverRole":
      // A role change is a routing decision, not a weaker check: its card asks nothing more.
      return false;
    default:
      // A row without its own rule: any change to a value other than the secure default is treated as
      // loosening (confirmed, and refused under a provider lock), so a new setting is safe by default.
      return !sameValue(after, before) && !sameValue(after, settings[key].secureDefault);
  }
}

/** When an IP list entry stops applying, in ms; null (never) is the furthest future. */
function ends(entry: { expiresAt: string | null }): number {
  return entry.expiresAt === null ? Infinity : Date.parse(entry.expiresAt);
}

/** Deep equality of two policy values (plain JSON: primitives, arrays, objects). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
