// Inheritance: provider default → customer → domain (→ server for server-level rows). A level may only
// set the keys its catalogue entry allows; everything else is inherited from above. A provider lock makes
// the provider's value a floor: a lower level may tighten a locked setting but never loosen it, and a
// looser value stored before the lock was set is ignored here (and reported as such), so every reader
// of the effective policy — the console, the hub, the agent's config — sees the lock the same way.
import { defaultPolicy, isLoosening, sameValue, settings, type PolicyLevel } from "./catalogue";
import type { Policy, PolicyKey, PolicyOverrides } from "./schema";

/** Who locked a setting at the provider level, and when. */
export interface PolicyLockInfo {
  lockedBy: string;
  lockedAt: Date;
}

export type PolicyLocks = { [K in PolicyKey]?: PolicyLockInfo };

export interface PolicyLayers {
  provider?: PolicyOverrides;
  customer?: PolicyOverrides;
  domain?: PolicyOverrides;
  server?: PolicyOverrides;
  /** Settings the provider locked; lower levels cannot loosen them. */
  locks?: PolicyLocks;
}

export type PolicySource = PolicyLevel | "default";

export interface ResolvedSetting<K extends PolicyKey = PolicyKey> {
  value: Policy[K];
  source: PolicySource;
  /** Present when the provider locked this setting. */
  lock?: PolicyLockInfo;
  /** Values set below a lock that would loosen it: stored, but not in force. */
  ignored?: { level: PolicyLevel; value: Policy[K] }[];
}

const order: PolicyLevel[] = ["provider", "customer", "domain", "server"];

/** Whether a provider lock on `key` can restrict anything: it must be settable below the provider. */
export function isLockable(key: PolicyKey): boolean {
  const levels = settings[key].levels;
  return levels.includes("provider") && levels.some((level) => level !== "provider");
}

/** The value `key` has at the provider level: the provider's own value, else the secure default. */
function providerValue<K extends PolicyKey>(layers: PolicyLayers, key: K): Policy[K] {
  return (layers.provider?.[key] ?? defaultPolicy[key]) as Policy[K];
}

/** The effective value of every setting, the level it came from, its lock and what the lock overrides. */
export function resolveWithSources(layers: PolicyLayers): { [K in PolicyKey]: ResolvedSetting<K> } {
  const out = {} as { [K in PolicyKey]: ResolvedSetting<K> };
  for (const key of Object.keys(defaultPolicy) as PolicyKey[]) {
    const lock = isLockable(key) ? layers.locks?.[key] : undefined;
    const floor = providerValue(layers, key);
    let resolved: ResolvedSetting = { value: defaultPolicy[key], source: "default" };
    const ignored: NonNullable<ResolvedSetting["ignored"]> = [];
    for (const level of order) {
      const value = layers[level]?.[key];
      if (value === undefined) continue;
      if (!settings[key].levels.includes(level)) continue;
      if (lock && level !== "provider" && isLoosening(key, floor as never, value as never)) {
        ignored.push({ level, value: value as Policy[typeof key] });
        continue;
      }
      resolved = { value: value as Policy[typeof key], source: level };
    }
    if (lock) resolved.lock = lock;
    if (ignored.length) resolved.ignored = ignored;
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

export interface LockViolation {
  key: PolicyKey;
  label: string;
  /** The provider's value, the loosest one allowed below the lock. */
  lockedValue: unknown;
  lock: PolicyLockInfo;
}

/**
 * The settings in `overrides` (about to be stored at `level`) that would loosen a provider lock. The
 * service refuses to store them; resolution would ignore them anyway.
 */
export function lockViolations(
  layers: PolicyLayers,
  level: Exclude<PolicyLevel, "provider">,
  overrides: PolicyOverrides,
): LockViolation[] {
  const out: LockViolation[] = [];
  for (const key of Object.keys(overrides) as PolicyKey[]) {
    const lock = isLockable(key) ? layers.locks?.[key] : undefined;
    const value = overrides[key];
    if (!lock || value === undefined || !settings[key].levels.includes(level)) continue;
    const floor = providerValue(layers, key);
    if (isLoosening(key, floor as never, value as never)) {
      out.push({ key, label: settings[key].label, lockedValue: floor, lock });
    }
  }
  return out;
}

/** The layers after "propagate to all domains": `key` cleared at the customer and domain levels. */
export function withProviderValue(layers: PolicyLayers, key: PolicyKey): PolicyLayers {
  const clear = (layer: PolicyOverrides | undefined) => {
    if (!layer || layer[key] === undefined) return layer;
    const { [key]: _cleared, ...rest } = layer;
    return rest as PolicyOverrides;
  };
  return { ...layers, customer: clear(layers.customer), domain: clear(layers.domain) };
}

export interface PropagationChange {
  from: unknown;
  to: unknown;
}

/** What propagating `key` does to one domain's effective value; null when it does not change. */
export function propagationChange(layers: PolicyLayers, key: PolicyKey): PropagationChange | null {
  const from = resolvePolicy(layers)[key];
  const to = resolvePolicy(withProviderValue(layers, key))[key];
  return sameValue(from, to) ? null : { from, to };
}
