// Per-server policy: the settings whose catalogue levels include "server" (relay, TLS, retry schedule and
// the server role, row 25). The rules are ./policy's (allowed keys only, provider locks, confirmation
// before loosening, revision and audit event in one transaction); this file finds the server through the
// tenancy scope, so a server outside the caller's tenants is NOT_FOUND.
import { loadPolicyLayers, type Db } from "@mailwarden/db";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { describe as describeLevel, updateServerLevel, type LevelPatch } from "./policy";

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
  input: { serverId: string; patch: LevelPatch; confirmLoosening: boolean },
  ip: string | null,
) {
  // Outside the caller's tenants the server does not exist (NOT_FOUND); inside, writing needs server.write.
  const server = await findServer(prisma, actor, input.serverId, "server.read");
  assertCan(actor, "server.write");
  return updateServerLevel(prisma, actor, server, input, ip);
}
