// The policy editor's service, for every level: provider defaults, customer, domain and server values,
// provider locks, and "propagate to all domains" with a preview. One function saves any level, so the
// rules hold everywhere: a level sets only the keys its catalogue entry allows, a provider lock cannot be
// loosened below (FORBIDDEN), loosening needs explicit confirmation, and the revision and its audit event
// (before/after) are written in one transaction.
import {
  loadPolicyLayers,
  savePolicyOverrides,
  setPolicyLock,
  writeAudit,
  type Db,
  type PolicyScope,
} from "@mailwarden/db";
import {
  isLockable,
  isLoosening,
  lockViolations,
  policyOverridesSchema,
  propagationChange,
  resolvePolicy,
  resolveWithSources,
  sameValue,
  settingList,
  settings,
  settingValueLabel,
  withProviderValue,
  type PolicyKey,
  type PolicyLayers,
  type PolicyLevel,
  type PolicyOverrides,
} from "@mailwarden/policy";
import { displayDomain } from "../../lib/format";
import { assertCan, can, isProviderStaff, scope, type Actor, type Permission } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";
import { findDomain } from "./domains";

/** A change to one level; `null` for a key clears that level's own value so it inherits again. */
export type LevelPatch = { [K in PolicyKey]?: PolicyOverrides[K] | null };

/** Every setting that may be set at `level`, as the editor shows it. */
export function describe(layers: PolicyLayers, level: PolicyLevel) {
  const resolved = resolveWithSources(layers);
  const own = layers[level] ?? {};
  // What each setting would be if this level set nothing: shown next to "reset to inherited".
  const inherited = resolveWithSources({ ...layers, [level]: undefined });
  // A lock's floor: the provider's own value (or the secure default).
  const providerValues = resolvePolicy({ provider: layers.provider });
  return settingList
    .filter((s) => s.levels.includes(level))
    .map((s) => {
      const lock = resolved[s.key].lock;
      const ignoredHere = resolved[s.key].ignored?.find((i) => i.level === level);
      return {
        key: s.key,
        row: s.row,
        label: s.label,
        group: s.group,
        why: s.why,
        looseningRisk: s.looseningRisk,
        levels: s.levels,
        secureDefault: s.secureDefault,
        value: resolved[s.key].value,
        source: resolved[s.key].source,
        setHere: own[s.key] !== undefined,
        inheritedValue: inherited[s.key].value,
        inheritedSource: inherited[s.key].source,
        isLockable: isLockable(s.key),
        lock: lock
          ? { lockedBy: lock.lockedBy, lockedAt: lock.lockedAt, value: providerValues[s.key] as unknown }
          : null,
        /** This level's own value when a provider lock keeps it out of force. */
        ignoredValue: ignoredHere ? ignoredHere.value : null,
        isIgnored: ignoredHere !== undefined,
      };
    });
}

function requireConfirmation(risks: { key: PolicyKey; label: string; risk: string }[], confirmed: boolean) {
  if (risks.length && !confirmed) {
    throw new AppError(
      "BAD_REQUEST",
      `Confirm loosening: ${risks.map((r) => `${r.label} — ${r.risk}`).join(" ")}`,
      risks.map((r) => r.key),
    );
  }
}

function formatLockDate(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** Where a save lands: the level, its row scope, and how its audit event names it. */
interface LevelTarget {
  level: PolicyLevel;
  tenantId: string | null;
  domainId?: string;
  serverId?: string;
  targetType: "policy" | "customer" | "domain" | "server";
  targetId: string;
  /** "Policy of example.com", "Provider defaults", … */
  title: string;
}

/** The one save path of every level. */
async function saveLevel(
  prisma: Db,
  actor: Actor,
  target: LevelTarget,
  input: { patch: LevelPatch; confirmLoosening: boolean },
  ip: string | null,
) {
  const { level } = target;
  const layers = await loadPolicyLayers(prisma, {
    tenantId: target.tenantId ?? undefined,
    domainId: target.domainId,
    serverId: target.serverId,
  });
  const after: Record<string, unknown> = { ...(layers[level] ?? {}) };
  for (const [key, value] of Object.entries(input.patch)) {
    if (value === undefined) continue;
    if (!settings[key as PolicyKey]?.levels.includes(level)) {
      throw new AppError(
        "BAD_REQUEST",
        `${settings[key as PolicyKey]?.label ?? key} cannot be set per ${level}.`,
      );
    }
    if (value === null) delete after[key];
    else after[key] = value;
  }
  const parsed = policyOverridesSchema.safeParse(after);
  if (!parsed.success) {
    throw new AppError(
      "BAD_REQUEST",
      parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    );
  }
  const keys = (Object.keys(input.patch) as PolicyKey[]).filter((k) => input.patch[k] !== undefined);
  if (level !== "provider") {
    const setNow = Object.fromEntries(
      keys.filter((k) => input.patch[k] !== null).map((k) => [k, input.patch[k]]),
    ) as PolicyOverrides;
    const violations = lockViolations(layers, level, setNow);
    if (violations.length) {
      throw new AppError(
        "FORBIDDEN",
        violations
          .map(
            (v) =>
              `${v.label} is locked by the provider (${v.lock.lockedBy}, ${formatLockDate(v.lock.lockedAt)}): it cannot be looser than ${settingValueLabel(v.lockedValue)}.`,
          )
          .join(" "),
        violations.map((v) => v.key),
      );
    }
  }
  const effectiveBefore = resolvePolicy(layers);
  const effectiveAfter = resolvePolicy({ ...layers, [level]: parsed.data });
  requireConfirmation(
    keys
      .filter((k) => isLoosening(k, effectiveBefore[k] as never, effectiveAfter[k] as never))
      .map((k) => ({ key: k, label: settings[k].label, risk: settings[k].looseningRisk })),
    input.confirmLoosening,
  );
  return prisma.$transaction(async (tx) => {
    const saved = await savePolicyOverrides(tx, {
      scope: level.toUpperCase() as PolicyScope,
      tenantId: target.tenantId ?? undefined,
      domainId: target.domainId,
      serverId: target.serverId,
      settings: parsed.data,
      userId: actor.userId,
    });
    const changes = keys.map(
      (k) =>
        `${settings[k].label}: ${settingValueLabel(effectiveBefore[k])} → ${settingValueLabel(effectiveAfter[k])}`,
    );
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "POLICY_CHANGED",
      tenantId: target.tenantId,
      targetType: target.targetType,
      targetId: target.targetId,
      summary: `${target.title} changed — ${changes.join("; ")}`,
      before: saved.before,
      after: saved.after,
    });
    return { revision: saved.revision };
  });
}

export async function getProviderPolicy(prisma: Db, actor: Actor) {
  assertCan(actor, "policy.read");
  return {
    settings: describe(await loadPolicyLayers(prisma, {}), "provider"),
    canLock: can(actor, "policy.writeProvider"),
  };
}

export async function updateProviderPolicy(
  prisma: Db,
  actor: Actor,
  input: { patch: LevelPatch; confirmLoosening: boolean },
  ip: string | null,
) {
  assertCan(actor, "policy.writeProvider");
  const target: LevelTarget = {
    level: "provider",
    tenantId: null,
    targetType: "policy",
    targetId: "provider",
    title: "Provider defaults",
  };
  return saveLevel(prisma, actor, target, input, ip);
}

async function findCustomer(prisma: Db, actor: Actor, customerId: string, permission: Permission) {
  const tenant = await prisma.tenant.findFirst({
    where: { AND: [{ id: customerId }, scope.tenant(actor, permission)] },
    select: { id: true, name: true },
  });
  if (!tenant) throw new AppError("NOT_FOUND", "Customer not found.");
  return tenant;
}

export async function getCustomerPolicy(prisma: Db, actor: Actor, customerId: string) {
  const customer = await findCustomer(prisma, actor, customerId, "policy.read");
  const layers = await loadPolicyLayers(prisma, { tenantId: customer.id });
  return { customerId: customer.id, settings: describe(layers, "customer") };
}

export async function updateCustomerPolicy(
  prisma: Db,
  actor: Actor,
  input: { customerId: string; patch: LevelPatch; confirmLoosening: boolean },
  ip: string | null,
) {
  // Outside the caller's customers it does not exist (NOT_FOUND); inside, writing needs writeCustomer.
  const customer = await findCustomer(prisma, actor, input.customerId, "policy.read");
  const isWritable = await prisma.tenant.count({
    where: { AND: [{ id: customer.id }, scope.tenant(actor, "policy.writeCustomer")] },
  });
  if (!isWritable) throw new AppError("FORBIDDEN", "You do not have permission to do that.");
  const target: LevelTarget = {
    level: "customer",
    tenantId: customer.id,
    targetType: "customer",
    targetId: customer.id,
    title: `Policy of customer ${customer.name}`,
  };
  return saveLevel(prisma, actor, target, input, ip);
}

export async function getDomainPolicy(prisma: Db, actor: Actor, domainId: string) {
  assertCan(actor, "policy.read");
  const domain = await findDomain(prisma, actor, domainId, "policy.read");
  const layers = await loadPolicyLayers(prisma, { tenantId: domain.tenantId, domainId: domain.id });
  return { domainId: domain.id, settings: describe(layers, "domain") };
}

export async function updateDomainPolicy(
  prisma: Db,
  actor: Actor,
  input: { domainId: string; patch: LevelPatch; confirmLoosening: boolean },
  ip: string | null,
) {
  assertCan(actor, "policy.writeDomain");
  const domain = await findDomain(prisma, actor, input.domainId, "policy.writeDomain");
  const target: LevelTarget = {
    level: "domain",
    tenantId: domain.tenantId,
    domainId: domain.id,
    targetType: "domain",
    targetId: domain.id,
    title: `Policy of ${displayDomain(domain.name)}`,
  };
  return saveLevel(prisma, actor, target, input, ip);
}

/** The server level's save, for ./server-policy (which finds the server through the tenancy scope). */
export async function updateServerLevel(
  prisma: Db,
  actor: Actor,
  server: { id: string; name: string; tenantId: string },
  input: { patch: LevelPatch; confirmLoosening: boolean },
  ip: string | null,
) {
  const target: LevelTarget = {
    level: "server",
    tenantId: server.tenantId,
    serverId: server.id,
    targetType: "server",
    targetId: server.id,
    title: `Policy of server ${server.name}`,
  };
  return saveLevel(prisma, actor, target, input, ip);
}

/** Locks or unlocks a provider setting: one audit event with the lock before and after. */
export async function setLock(
  prisma: Db,
  actor: Actor,
  input: { key: PolicyKey; isLocked: boolean },
  ip: string | null,
) {
  assertCan(actor, "policy.writeProvider");
  if (!isProviderStaff(actor)) throw new AppError("FORBIDDEN", "Only provider staff can lock settings.");
  if (!isLockable(input.key)) {
    throw new AppError(
      "BAD_REQUEST",
      `${settings[input.key].label} is set only by the provider: nothing to lock.`,
    );
  }
  return prisma.$transaction(async (tx) => {
    const result = await setPolicyLock(tx, {
      key: input.key,
      isLocked: input.isLocked,
      userId: actor.userId,
      label: actor.email,
    });
    if (result.changed) {
      const value = resolvePolicy(await loadPolicyLayers(tx as unknown as Db, {}))[input.key];
      await writeAudit(tx, {
        ...auditActor(actor, ip),
        type: input.isLocked ? "POLICY_LOCKED" : "POLICY_UNLOCKED",
        targetType: "policy",
        targetId: input.key,
        summary: input.isLocked
          ? `${settings[input.key].label} locked at ${JSON.stringify(value)}: customers, domains and servers cannot loosen it`
          : `${settings[input.key].label} unlocked`,
        before: result.before ? { ...result.before, lockedAt: result.before.lockedAt.toISOString() } : null,
        after: result.after ? { ...result.after, lockedAt: result.after.lockedAt.toISOString() } : null,
      });
    }
    return { key: input.key, isLocked: input.isLocked, changed: result.changed };
  });
}

/** Which domains change, from what to what, if `key` is pushed from the provider default onto every domain. */
export async function previewPropagation(prisma: Db, actor: Actor, key: PolicyKey) {
  assertCan(actor, "policy.writeProvider");
  if (!settings[key].levels.includes("domain"))
    throw new AppError("BAD_REQUEST", `${settings[key].label} is not a domain setting.`);
  const domains = await prisma.domain.findMany({
    orderBy: { name: "asc" },
    include: { tenant: { select: { name: true } } },
  });
  const changes: { domainId: string; domain: string; customer: string; from: unknown; to: unknown }[] = [];
  for (const d of domains) {
    const layers = await loadPolicyLayers(prisma, { tenantId: d.tenantId, domainId: d.id });
    const change = propagationChange(layers, key);
    if (change) changes.push({ domainId: d.id, domain: d.name, customer: d.tenant.name, ...change });
  }
  const providerLayers = await loadPolicyLayers(prisma, {});
  return {
    key,
    label: settings[key].label,
    providerValue: resolvePolicy(providerLayers)[key],
    isLocked: providerLayers.locks?.[key] !== undefined,
    totalDomains: domains.length,
    changes,
  };
}

export async function applyPropagation(prisma: Db, actor: Actor, key: PolicyKey, ip: string | null) {
  const preview = await previewPropagation(prisma, actor, key);
  await prisma.$transaction(async (tx) => {
    const db = tx as unknown as Db;
    // Customer values first, then each domain's own: both are cleared so every domain inherits the provider.
    for (const t of await tx.tenant.findMany({ select: { id: true } })) {
      const layers = await loadPolicyLayers(db, { tenantId: t.id });
      const cleared = withProviderValue(layers, key).customer;
      if (!layers.customer || sameValue(cleared, layers.customer)) continue;
      await savePolicyOverrides(tx, {
        scope: "CUSTOMER",
        tenantId: t.id,
        settings: cleared ?? {},
        userId: actor.userId,
      });
    }
    for (const d of await tx.domain.findMany({ select: { id: true, tenantId: true } })) {
      const layers = await loadPolicyLayers(db, { tenantId: d.tenantId, domainId: d.id });
      const cleared = withProviderValue(layers, key).domain;
      if (!layers.domain || sameValue(cleared, layers.domain)) continue;
      await savePolicyOverrides(tx, {
        scope: "DOMAIN",
        tenantId: d.tenantId,
        domainId: d.id,
        settings: cleared ?? {},
        userId: actor.userId,
      });
    }
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "POLICY_PROPAGATED",
      targetType: "policy",
      targetId: key,
      summary: `${settings[key].label} propagated to all domains: ${preview.changes.length} of ${preview.totalDomains} changed`,
      before: preview.changes.map((c) => ({ domain: c.domain, value: c.from })),
      after: preview.changes.map((c) => ({ domain: c.domain, value: c.to })),
    });
  });
  return { changed: preview.changes.length };
}
