// The policy editor's service: provider defaults (rows 1, 2, 12, 13, 14), per-domain overrides of the
// domain-level rows, and "propagate to all domains" with a preview. Loosening a setting needs explicit
// confirmation; each change is one audit event with before/after.
import { loadPolicyLayers, savePolicyOverrides, writeAudit, type Db } from "@mailwarden/db";
import {
  defaultPolicy,
  isLoosening,
  policyOverridesSchema,
  resolvePolicy,
  resolveWithSources,
  settingList,
  settings,
  type PolicyKey,
  type PolicyLevel,
  type PolicyOverrides,
} from "@mailwarden/policy";
import { assertCan, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";
import { findDomain } from "./domains";

export function describe(layers: Awaited<ReturnType<typeof loadPolicyLayers>>, level: PolicyLevel) {
  const resolved = resolveWithSources(layers);
  const own = layers[level] ?? {};
  return settingList
    .filter((s) => s.levels.includes(level))
    .map((s) => ({
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
    }));
}

function loosened(
  before: PolicyOverrides,
  after: PolicyOverrides,
  inherited: ReturnType<typeof resolvePolicy>,
) {
  const out: { key: PolicyKey; label: string; risk: string }[] = [];
  for (const key of Object.keys(after) as PolicyKey[]) {
    const from = before[key] ?? inherited[key];
    const to = after[key];
    if (to !== undefined && isLoosening(key, from as never, to as never)) {
      out.push({ key, label: settings[key].label, risk: settings[key].looseningRisk });
    }
  }
  return out;
}

export function requireConfirmation(risks: ReturnType<typeof loosened>, confirmed: boolean) {
  if (risks.length && !confirmed) {
    throw new AppError(
      "BAD_REQUEST",
      `Confirm loosening: ${risks.map((r) => `${r.label} — ${r.risk}`).join(" ")}`,
      risks.map((r) => r.key),
    );
  }
}

export async function getProviderPolicy(prisma: Db, actor: Actor) {
  assertCan(actor, "policy.read");
  return { settings: describe(await loadPolicyLayers(prisma, {}), "provider") };
}

export async function updateProviderPolicy(
  prisma: Db,
  actor: Actor,
  input: { patch: PolicyOverrides; confirmLoosening: boolean },
  ip: string | null,
) {
  assertCan(actor, "policy.writeProvider");
  const patch = policyOverridesSchema.parse(input.patch);
  const layers = await loadPolicyLayers(prisma, {});
  const before = layers.provider ?? {};
  const after = { ...before, ...patch };
  requireConfirmation(loosened(before, patch, defaultPolicy), input.confirmLoosening);
  return prisma.$transaction(async (tx) => {
    const saved = await savePolicyOverrides(tx, { scope: "PROVIDER", settings: after, userId: actor.userId });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "POLICY_CHANGED",
      targetType: "policy",
      targetId: "provider",
      summary: `Provider defaults changed: ${Object.keys(patch)
        .map((k) => settings[k as PolicyKey].label)
        .join(", ")}`,
      before: saved.before,
      after: saved.after,
    });
    return { revision: saved.revision };
  });
}

export async function getDomainPolicy(prisma: Db, actor: Actor, domainId: string) {
  assertCan(actor, "policy.read");
  const domain = await findDomain(prisma, actor, domainId, "policy.read");
  const layers = await loadPolicyLayers(prisma, { tenantId: domain.tenantId, domainId: domain.id });
  return { domainId: domain.id, settings: describe(layers, "domain") };
}

/** `null` for a key clears the domain's own value so it inherits again. */
export async function updateDomainPolicy(
  prisma: Db,
  actor: Actor,
  input: {
    domainId: string;
    patch: { [K in PolicyKey]?: PolicyOverrides[K] | null };
    confirmLoosening: boolean;
  },
  ip: string | null,
) {
  assertCan(actor, "policy.writeDomain");
  const domain = await findDomain(prisma, actor, input.domainId, "policy.writeDomain");
  const layers = await loadPolicyLayers(prisma, { tenantId: domain.tenantId, domainId: domain.id });
  const before = layers.domain ?? {};
  const after: Record<string, unknown> = { ...before };
  for (const [key, value] of Object.entries(input.patch)) {
    if (!settings[key as PolicyKey]?.levels.includes("domain")) {
      throw new AppError("BAD_REQUEST", `${key} cannot be set per domain.`);
    }
    if (value === null) delete after[key];
    else after[key] = value;
  }
  const parsedAfter = policyOverridesSchema.parse(after);
  const effectiveBefore = resolvePolicy(layers);
  const effectiveAfter = resolvePolicy({ ...layers, domain: parsedAfter });
  const risks = (Object.keys(input.patch) as PolicyKey[])
    .filter((k) => isLoosening(k, effectiveBefore[k] as never, effectiveAfter[k] as never))
    .map((k) => ({ key: k, label: settings[k].label, risk: settings[k].looseningRisk }));
  requireConfirmation(risks, input.confirmLoosening);
  return prisma.$transaction(async (tx) => {
    const saved = await savePolicyOverrides(tx, {
      scope: "DOMAIN",
      tenantId: domain.tenantId,
      domainId: domain.id,
      settings: parsedAfter,
      userId: actor.userId,
    });
    const changes = (Object.keys(input.patch) as PolicyKey[]).map(
      (k) =>
        `${settings[k].label}: ${JSON.stringify(effectiveBefore[k])} → ${JSON.stringify(effectiveAfter[k])}`,
    );
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "POLICY_CHANGED",
      tenantId: domain.tenantId,
      targetType: "domain",
      targetId: domain.id,
      summary: `Policy of ${domain.name} changed — ${changes.join("; ")}`,
      before: saved.before,
      after: saved.after,
    });
    return { revision: saved.revision };
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
  let providerValue: unknown = defaultPolicy[key];
  for (const d of domains) {
    const layers = await loadPolicyLayers(prisma, { tenantId: d.tenantId, domainId: d.id });
    const from = resolvePolicy(layers)[key];
    const to = resolvePolicy({ provider: layers.provider })[key];
    providerValue = to;
    if (JSON.stringify(from) !== JSON.stringify(to)) {
      changes.push({ domainId: d.id, domain: d.name, customer: d.tenant.name, from, to });
    }
  }
  if (domains.length === 0) providerValue = resolvePolicy(await loadPolicyLayers(prisma, {}))[key];
  return { key, label: settings[key].label, providerValue, totalDomains: domains.length, changes };
}

export async function applyPropagation(prisma: Db, actor: Actor, key: PolicyKey, ip: string | null) {
  const preview = await previewPropagation(prisma, actor, key);
  await prisma.$transaction(async (tx) => {
    const tenants = await tx.tenant.findMany({ select: { id: true } });
    for (const t of tenants) {
      const layers = await loadPolicyLayers(tx as unknown as Db, { tenantId: t.id });
      if (layers.customer?.[key] === undefined) continue;
      const { [key]: _dropped, ...rest } = layers.customer;
      await savePolicyOverrides(tx, {
        scope: "CUSTOMER",
        tenantId: t.id,
        settings: rest,
        userId: actor.userId,
      });
    }
    const domains = await tx.domain.findMany({ select: { id: true, tenantId: true } });
    for (const d of domains) {
      const layers = await loadPolicyLayers(tx as unknown as Db, { tenantId: d.tenantId, domainId: d.id });
      if (layers.domain?.[key] === undefined) continue;
      const { [key]: _dropped, ...rest } = layers.domain;
      await savePolicyOverrides(tx, {
        scope: "DOMAIN",
        tenantId: d.tenantId,
        domainId: d.id,
        settings: rest,
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
