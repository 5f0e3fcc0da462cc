// Inheritance: provider default → customer → domain (→ server for server-level rows). A level may only
// set the keys its catalogue entry allows; everything else is inherited from above.
import { defaultPolicy, settings, type PolicyLevel } from "./catalogue";
import type { Policy, PolicyKey, PolicyOverrides } from "./schema";

export interface PolicyLayers {
  provider?: PolicyOverrides;
  customer?: PolicyOverrides;
  domain?: PolicyOverrides;
  server?: PolicyOverrides;
}

export type PolicySource = PolicyLevel | "default";

export interface ResolvedSetting<K extends PolicyKey = PolicyKey> {
  value: Policy[K];
  source: PolicySource;
}

const order: PolicyLevel[] = ["provider", "customer", "domain", "server"];

/** The effective value of every setting and the level it came from. */
export function resolveWithSources(layers: PolicyLayers): { [K in PolicyKey]: ResolvedSetting<K> } {
  const out = {} as { [K in PolicyKey]: ResolvedSetting<K> };
  for (const key of Object.keys(defaultPolicy) as PolicyKey[]) {
    let resolved: ResolvedSetting = { value: defaultPolicy[key], source: "default" };
    for (const level of order) {
      const layer = layers[level];
      if (!layer || layer[key] === undefined) continue;
      if (!settings[key].levels.includes(level)) continue;
      resolved = { value: layer[key] as Policy[typeof key], source: level };
    }
    (out as Record<PolicyKey, ResolvedSetting>)[key] = resolved;
  }
  return out;
}

export function resolvePolicy(layers: PolicyLayers): Policy {
  const withSources = resolveWithSources(layers);
  const policy = {} as Record<PolicyKey, unknown>;
  for (const key of Object.keys(withSources) as PolicyKey[]) policy[key] = withSources[key].value;
  return policy as Policy;
}

/** Drops the keys a level may not set, so stored overrides can never widen a level's reach. */
export function keysAllowedAt(level: PolicyLevel): PolicyKey[] {
  return (Object.keys(settings) as PolicyKey[]).filter((k) => settings[k].levels.includes(level));
}
