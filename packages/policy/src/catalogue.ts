// One entry per setting: its POLICY.md row, the levels where it may be set, its secure default and a
// one-line why. The dashboard renders its editor from this table; inheritance uses `levels`.
import type { Policy, PolicyKey } from "./schema";

export type PolicyLevel = "provider" | "customer" | "domain" | "server";

export interface SettingInfo<K extends PolicyKey = PolicyKey> {
  key: K;
  row: number;
  label: string;
  group: "Relay & authentication" | "TLS" | "Passwords";
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
    default:
      return false;
  }
}
