// The choices an editor offers for a setting, derived from the zod schema so a new enum value or a new
// boolean row appears in the dashboard without a second list to keep in step.
import { policySchema, type Policy, type PolicyKey } from "./schema";

export interface SettingChoice {
  /** The value as a string, for a <select>. */
  value: string;
  label: string;
}

const valueLabels: Record<string, string> = {
  nobody: "Nobody (authenticated only)",
  "authenticated-or-whitelist": "Authenticated or whitelisted",
  "local-networks": "Local networks",
  "require-spf-pass": "Only if the sender passed SPF",
  disabled: "Never",
  enabled: "Always",
  "reject-fail": "Reject failures (550)",
  tag: "Tag only",
  off: "Off",
  "honor-policy": "Honour the sender's policy",
  reject: "Reject",
  strong: "Strong only (forward secrecy, AEAD)",
  compatible: "Compatible (adds ECDHE with CBC)",
  address: "The user's own address",
  domain: "Any address of the user's domain",
  delay: "Delay (4xx, the sender retries later)",
  detailed: "Detailed",
  normal: "Normal (refusals and failures)",
  members: "The list's members",
  moderators: "The list's moderators only",
  anyone: "Anyone",
  // What an IP whitelist entry skips (row 19).
  "connection-limits": "Connection limits",
  dnsbl: "DNS blocklists",
  rdns: "Reverse DNS / EHLO",
  relay: "Relay",
};

/** A readable label for an enum value ("reject-fail" → "Reject failures (550)"). */
export function choiceLabel(value: string): string {
  return valueLabels[value] ?? value;
}

/** Options for enum and on/off settings; null for settings that need their own editor. */
export function settingChoices(key: PolicyKey): SettingChoice[] | null {
  const field = policySchema.shape[key] as unknown as {
    _zod: { def: { type: string; entries?: Record<string, string> } };
  };
  const def = field._zod.def;
  if (def.type === "boolean") {
    return [
      { value: "true", label: "On" },
      { value: "false", label: "Off" },
    ];
  }
  if (def.type === "enum" && def.entries) {
    return Object.values(def.entries).map((v) => ({ value: v, label: choiceLabel(v) }));
  }
  return null;
}

/** Turns a <select> value back into the setting's type. */
export function parseChoice<K extends PolicyKey>(key: K, raw: string): Policy[K] {
  const def = (policySchema.shape[key] as unknown as { _zod: { def: { type: string } } })._zod.def;
  return (def.type === "boolean" ? raw === "true" : raw) as Policy[K];
}
