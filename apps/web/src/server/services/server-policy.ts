// Per-server policy: the settings whose catalogue levels include "server" (relay, TLS, retry schedule and
// the server role, row 25). Same rules as the domain editor in ./policy — only allowed keys, loosening
// needs confirmation, the revision and its audit event in one transaction — with the server found
// through the tenancy scope, so a server outside the caller's tenants is NOT_FOUND.
import { loadPolicyLayers, savePolicyOverrides, writeAudit, type Db } from "@mailwarden/db";
import {
  isLoosening,
  policyOverridesSchema,
  resolvePolicy,
  settings,
  type PolicyKey,
  type PolicyOverrides,
} from "@mailwarden/policy";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";
import { describe as describeLevel, requireConfirmation } from "./policy";

async function findServer(prisma: Db, actor: Actor, serverId: string, permission: "server.read") {
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: serverId }, scope.server(actor, permission)] },
    select: { id: true, name: true, tenantId: true },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  return server;
}

export async function getServerPolicy(prisma: Db, actor: Actor, serverId: string) {
  const server = await findServer(prisma, actor, serverId, "server.read");
  const layers = await loadPolicyLayers(prisma, { tenantId: server.tenantId, serverId: server.id });
  return { serverId: server.id, settings: describeLevel(layers, "server") };
}

/** `null` for a key clears the server's own value so it inherits again. */
export async function updateServerPolicy(
  prisma: Db,
  actor: Actor,
  input: {
    serverId: string;
    patch: { [K in PolicyKey]?: PolicyOverrides[K] | null };
    confirmLoosening: boolean;
  },
  ip: string | null,
) {
  // Outside the caller's tenants the server does not exist (NOT_FOUND); inside, writing needs server.write.
  const server = await findServer(prisma, actor, input.serverId, "server.read");
  assertCan(actor, "server.write");
  const layers = await loadPolicyLayers(prisma, { tenantId: server.tenantId, serverId: server.id });
  const before = layers.server ?? {};
  const after: Record<string, unknown> = { ...before };
  for (const [key, value] of Object.entries(input.patch)) {
    if (!settings[key as PolicyKey]?.levels.includes("server")) {
      throw new AppError("BAD_REQUEST", `${key} cannot be set per server.`);
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
  const effectiveBefore = resolvePolicy(layers);
  const effectiveAfter = resolvePolicy({ ...layers, server: parsed.data });
  const keys = Object.keys(input.patch) as PolicyKey[];
  requireConfirmation(
    keys
      .filter((k) => isLoosening(k, effectiveBefore[k] as never, effectiveAfter[k] as never))
      .map((k) => ({ key: k, label: settings[k].label, risk: settings[k].looseningRisk })),
    input.confirmLoosening,
  );
  return prisma.$transaction(async (tx) => {
    const saved = await savePolicyOverrides(tx, {
      scope: "SERVER",
      tenantId: server.tenantId,
      serverId: server.id,
      settings: parsed.data,
      userId: actor.userId,
    });
    const changes = keys.map(
      (k) =>
        `${settings[k].label}: ${JSON.stringify(effectiveBefore[k])} → ${JSON.stringify(effectiveAfter[k])}`,
    );
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "POLICY_CHANGED",
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: `Policy of server ${server.name} changed — ${changes.join("; ")}`,
      before: saved.before,
      after: saved.after,
    });
    return { revision: saved.revision };
  });
}
