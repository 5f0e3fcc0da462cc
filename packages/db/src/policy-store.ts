// Policy settings are stored per level (provider → customer → domain, plus server) as an append-only
// history of PolicyRevision rows; the newest row of each target is in force. This file is the only code
// that reads or writes those rows, so inheritance always sees the same layers the editor saved.
import {
  isLockable,
  keysAllowedAt,
  policyOverridesSchema,
  settings as settingCatalogue,
  type PolicyKey,
  type PolicyLocks,
  type PolicyLayers,
  type PolicyLevel,
  type PolicyOverrides,
} from "@mailwarden/policy";
import type { Db, Tx } from "./client";
import { markConfigChanged, type ConfigChangeScope } from "./config-changes";
import type { Prisma } from "./generated/prisma/client";
import type { PolicyScope } from "./generated/prisma/enums";

export interface PolicyTarget {
  tenantId?: string;
  domainId?: string;
  serverId?: string;
}

const levelOf: Record<PolicyScope, PolicyLevel> = {
  PROVIDER: "provider",
  CUSTOMER: "customer",
  DOMAIN: "domain",
  SERVER: "server",
};

/**
 * Validates stored settings key by key: a key that no longer parses (or no longer exists, or is not
 * allowed at this level) is dropped with a warning, so the level inherits that one setting from above
 * instead of the whole layer disappearing — and a bad row never takes the console or the hub down.
 */
function parseStoredSettings(raw: unknown, level: PolicyLevel, where: string): PolicyOverrides {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    console.warn(`ignoring policy settings of ${where}: not an object`);
    return {};
  }
  const allowed = new Set<string>(keysAllowedAt(level));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const schema = (policyOverridesSchema.shape as Record<string, SafeParser | undefined>)[key];
    const parsed = allowed.has(key) ? schema?.safeParse(value) : undefined;
    if (!parsed?.success) {
      console.warn(
        `ignoring policy setting "${key}" of ${where}: invalid or not allowed at the ${level} level`,
      );
      continue;
    }
    out[key] = parsed.data;
  }
  return out as PolicyOverrides;
}

type SafeParser = { safeParse(value: unknown): { success: boolean; data?: unknown } };

type Reader = Pick<Db, "policyRevision" | "domain" | "server" | "policyLock">;

function targetWhere(scope: PolicyScope, target: PolicyTarget): Prisma.PolicyRevisionWhereInput {
  switch (scope) {
    case "PROVIDER":
      return { scope, tenantId: null, domainId: null, serverId: null };
    case "CUSTOMER":
      return { scope, tenantId: target.tenantId, domainId: null, serverId: null };
    case "DOMAIN":
      return { scope, domainId: target.domainId };
    case "SERVER":
      return { scope, serverId: target.serverId };
  }
}

async function newestRevision(db: Reader, scope: PolicyScope, target: PolicyTarget) {
  return db.policyRevision.findFirst({
    where: targetWhere(scope, target),
    orderBy: { revision: "desc" },
    select: { id: true, revision: true, settings: true },
  });
}

async function layerOf(
  db: Reader,
  scope: PolicyScope,
  target: PolicyTarget,
): Promise<PolicyOverrides | undefined> {
  const row = await newestRevision(db, scope, target);
  if (!row) return undefined;
  return parseStoredSettings(
    row.settings,
    levelOf[scope],
    `policy revision ${row.id} (${scope} r${row.revision})`,
  );
}

/** The tenant a domain or server belongs to, when the caller did not say. */
async function resolveTenantId(db: Reader, target: PolicyTarget): Promise<string | undefined> {
  if (target.tenantId) return target.tenantId;
  if (target.domainId) {
    return (await db.domain.findUnique({ where: { id: target.domainId }, select: { tenantId: true } }))
      ?.tenantId;
  }
  if (target.serverId) {
    return (await db.server.findUnique({ where: { id: target.serverId }, select: { tenantId: true } }))
      ?.tenantId;
  }
  return undefined;
}

/**
 * The settings in force at each level above `target` (the provider layer always; customer, domain and
 * server layers for the ids given). The customer is derived from the domain or server if not given.
 */
export async function loadPolicyLayers(db: Db | Tx, target: PolicyTarget): Promise<PolicyLayers> {
  const full = { ...target, tenantId: await resolveTenantId(db, target) };
  const [provider, customer, domain, server, locks] = await Promise.all([
    layerOf(db, "PROVIDER", full),
    full.tenantId ? layerOf(db, "CUSTOMER", full) : undefined,
    full.domainId ? layerOf(db, "DOMAIN", full) : undefined,
    full.serverId ? layerOf(db, "SERVER", full) : undefined,
    loadPolicyLocks(db),
  ]);
  return assembleLayers(provider, customer, domain, server, locks);
}

/** The layers found, in the shape resolvePolicy takes (absent levels and empty locks left out). */
function assembleLayers(
  provider: PolicyOverrides | undefined,
  customer: PolicyOverrides | undefined,
  domain: PolicyOverrides | undefined,
  server: PolicyOverrides | undefined,
  locks: PolicyLocks,
): PolicyLayers {
  const layers: PolicyLayers = {};
  if (provider) layers.provider = provider;
  if (customer) layers.customer = customer;
  if (domain) layers.domain = domain;
  if (server) layers.server = server;
  if (Object.keys(locks).length) layers.locks = locks;
  return layers;
}

/** The layers of many targets at once, read in a few set-based queries (see loadFleetPolicyLayers). */
export interface FleetPolicyLayers {
  /** The layers above one target, as loadPolicyLayers would return them. */
  layersOf(target: { tenantId: string; domainId?: string; serverId?: string }): PolicyLayers;
}

type NewestRow = { id: string; key: string; scope: PolicyScope; revision: number; settings: unknown };

/**
 * What a fan-out needs: the provider layer and locks once, and the newest layer of each customer given,
 * of every domain of those customers and of each server given, in five queries whatever the number of
 * targets (loadPolicyLayers takes five per target). Same parsing and the same result per target as
 * loadPolicyLayers.
 */
export async function loadFleetPolicyLayers(
  db: Db | Tx,
  ids: { tenantIds: readonly string[]; serverIds: readonly string[] },
): Promise<FleetPolicyLayers> {
  const newest = async (
    scope: PolicyScope,
    column: "tenantId" | "domainId" | "serverId",
    keys: readonly string[],
  ) => {
    if (keys.length === 0) return new Map<string, PolicyOverrides>();
    // Domain layers are asked for by customer: the fan-out wants every domain of its customers.
    const target =
      scope === "DOMAIN"
        ? `"domainId" IN (SELECT "id" FROM "Domain" WHERE "tenantId" = ANY($2::text[]))`
        : `"${column}" = ANY($2::text[])`;
    // DISTINCT ON keeps the first row per target in the ORDER BY: its newest revision.
    const rows = await db.$queryRawUnsafe<NewestRow[]>(
      `SELECT DISTINCT ON ("${column}") "id", "${column}" AS "key", "scope", "revision", "settings"
         FROM "PolicyRevision"
        WHERE "scope" = $1::"PolicyScope" AND ${target}
          ${scope === "CUSTOMER" ? `AND "domainId" IS NULL AND "serverId" IS NULL` : ""}
        ORDER BY "${column}", "revision" DESC`,
      scope,
      [...new Set(keys)],
    );
    return new Map(
      rows.map((row) => [
        row.key,
        parseStoredSettings(
          row.settings,
          levelOf[scope],
          `policy revision ${row.id} (${scope} r${row.revision})`,
        ),
      ]),
    );
  };
  const [provider, customers, domains, servers, locks] = await Promise.all([
    layerOf(db, "PROVIDER", {}),
    newest("CUSTOMER", "tenantId", ids.tenantIds),
    newest("DOMAIN", "domainId", ids.tenantIds),
    newest("SERVER", "serverId", ids.serverIds),
    loadPolicyLocks(db),
  ]);
  return {
    layersOf: (target) =>
      assembleLayers(
        provider,
        customers.get(target.tenantId),
        target.domainId ? domains.get(target.domainId) : undefined,
        target.serverId ? servers.get(target.serverId) : undefined,
        locks,
      ),
  };
}

/** The provider's locks; a row naming a key that no longer exists or cannot be locked is ignored. */
export async function loadPolicyLocks(db: Pick<Db, "policyLock">): Promise<PolicyLocks> {
  const rows = await db.policyLock.findMany({ orderBy: { key: "asc" } });
  const locks: PolicyLocks = {};
  for (const row of rows) {
    if (!(row.key in settingCatalogue) || !isLockable(row.key as PolicyKey)) continue;
    locks[row.key as PolicyKey] = { lockedBy: row.lockedByLabel, lockedAt: row.lockedAt };
  }
  return locks;
}

/**
 * Locks or unlocks one provider setting and marks every server's config as changed (a lock can change
 * what lower levels have in force). Returns the lock before and after for the caller's audit event,
 * written in the same transaction; `changed` is false when the state was already as asked.
 */
export async function setPolicyLock(
  tx: Tx,
  input: { key: PolicyKey; isLocked: boolean; userId: string | null; label: string },
): Promise<{
  changed: boolean;
  before: { lockedBy: string; lockedAt: Date } | null;
  after: { lockedBy: string; lockedAt: Date } | null;
}> {
  if (!isLockable(input.key)) throw new Error(`${input.key} cannot be locked`);
  const current = await tx.policyLock.findUnique({ where: { key: input.key } });
  const before = current ? { lockedBy: current.lockedByLabel, lockedAt: current.lockedAt } : null;
  if (Boolean(current) === input.isLocked) return { changed: false, before, after: before };
  let after: typeof before = null;
  if (input.isLocked) {
    const row = await tx.policyLock.create({
      data: { key: input.key, lockedById: input.userId, lockedByLabel: input.label },
    });
    after = { lockedBy: row.lockedByLabel, lockedAt: row.lockedAt };
  } else {
    await tx.policyLock.delete({ where: { key: input.key } });
  }
  await markConfigChanged(tx, { all: true });
  return { changed: true, before, after };
}

export interface SavePolicyOverridesInput {
  scope: PolicyScope;
  tenantId?: string;
  domainId?: string;
  serverId?: string;
  /** The complete set of overrides for that level; keys absent inherit from above. */
  settings: PolicyOverrides;
  userId?: string | null;
}

/** Checks the ids a scope needs and fills in the owning tenant from the domain or server row. */
async function resolveSaveTarget(
  tx: Tx,
  input: SavePolicyOverridesInput,
): Promise<{
  tenantId: string | null;
  domainId: string | null;
  serverId: string | null;
  affected: ConfigChangeScope;
}> {
  switch (input.scope) {
    case "PROVIDER":
      return { tenantId: null, domainId: null, serverId: null, affected: { all: true } };
    case "CUSTOMER": {
      if (!input.tenantId) throw new Error("CUSTOMER policy needs a tenantId");
      return {
        tenantId: input.tenantId,
        domainId: null,
        serverId: null,
        affected: { tenantId: input.tenantId },
      };
    }
    case "DOMAIN": {
      if (!input.domainId) throw new Error("DOMAIN policy needs a domainId");
      const domain = await tx.domain.findUnique({
        where: { id: input.domainId },
        select: { tenantId: true },
      });
      if (!domain) throw new Error(`domain ${input.domainId} does not exist`);
      if (input.tenantId && input.tenantId !== domain.tenantId) {
        throw new Error(`domain ${input.domainId} does not belong to tenant ${input.tenantId}`);
      }
      return {
        tenantId: domain.tenantId,
        domainId: input.domainId,
        serverId: null,
        affected: { tenantId: domain.tenantId },
      };
    }
    case "SERVER": {
      if (!input.serverId) throw new Error("SERVER policy needs a serverId");
      const server = await tx.server.findUnique({
        where: { id: input.serverId },
        select: { tenantId: true },
      });
      if (!server) throw new Error(`server ${input.serverId} does not exist`);
      if (input.tenantId && input.tenantId !== server.tenantId) {
        throw new Error(`server ${input.serverId} does not belong to tenant ${input.tenantId}`);
      }
      return {
        tenantId: server.tenantId,
        domainId: null,
        serverId: input.serverId,
        affected: { serverId: input.serverId },
      };
    }
  }
}

/**
 * Stores the next revision of one level's overrides (keys the level may not set are dropped) and marks
 * the affected servers' config as changed, all in the caller's transaction. Writing the audit event is
 * the caller's job, in the same transaction, with the returned before/after.
 */
export async function savePolicyOverrides(
  tx: Tx,
  input: SavePolicyOverridesInput,
): Promise<{ revision: number; before: PolicyOverrides; after: PolicyOverrides }> {
  const level = levelOf[input.scope];
  const target = await resolveSaveTarget(tx, input);
  const validated = policyOverridesSchema.parse(input.settings) as Record<string, unknown>;
  const allowed = new Set<string>(keysAllowedAt(level));
  const after = Object.fromEntries(
    Object.entries(validated).filter(([key, value]) => allowed.has(key as PolicyKey) && value !== undefined),
  ) as PolicyOverrides;

  // Two saves of the same target at once would both pick the same next revision number; serialise them.
  const lockKey = `policy:${input.scope}:${target.tenantId ?? ""}:${target.domainId ?? ""}:${target.serverId ?? ""}`;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`;

  const lookup = {
    tenantId: target.tenantId ?? undefined,
    domainId: target.domainId ?? undefined,
    serverId: target.serverId ?? undefined,
  };
  const current = await newestRevision(tx, input.scope, lookup);
  const before = current
    ? parseStoredSettings(
        current.settings,
        level,
        `policy revision ${current.id} (${input.scope} r${current.revision})`,
      )
    : {};
  const revision = (current?.revision ?? 0) + 1;

  await tx.policyRevision.create({
    data: {
      scope: input.scope,
      tenantId: target.tenantId,
      domainId: target.domainId,
      serverId: target.serverId,
      revision,
      settings: after as Prisma.InputJsonObject,
      createdById: input.userId ?? null,
    },
  });
  await markConfigChanged(tx, target.affected);
  return { revision, before, after };
}
