// One entry per setting: its POLICY.md row, the levels where it may be set, its secure default and a
// one-line why. The dashboard renders its editor from this table; inheritance uses `levels`.
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
  tlsMinVersion: "TLSv1.2",
  authOnlyOverTls: true,
  passwordPolicy: { minLength: 12, minClasses: 3, forbidUserOrDomainName: true, forbidCommon: true },
  catchAllMailbox: null,
  bounces: "require-spf-pass",
  autoResponders: "require-spf-pass",
  spfCheck: "reject-fail",
  dmarcCompliance: "honor-policy",
  dkimVerify: true,
  dkimSigning: true,
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
    case "serverRole":
      // A role change is a routing decision, not a weaker check: its card asks nothing more.
      return false;
    default:
      // A row without its own rule: any change to a value other than the secure default is treated as
      // loosening (confirmed, and refused under a provider lock), so a new setting is safe by default.
      return !sameValue(after, before) && !sameValue(after, settings[key].secureDefault);
  }
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
