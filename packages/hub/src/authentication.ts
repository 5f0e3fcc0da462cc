// Checking an agent.hello's credential. The secret is compared as a hash in constant time, and an unknown
// agent is compared against a dummy hash so the answer takes the same time either way. Revocation is only
// revealed to a caller that proved the secret.
import { ServerStatus, hashToken, safeEqualHex, type Db, type Prisma } from "@mailwarden/db";
import { CloseCode } from "@mailwarden/protocol";

const DUMMY_HASH = "0".repeat(64);

export interface AuthenticatedServer {
  id: string;
  tenantId: string;
  name: string;
  desiredRevision: number;
}

export type AuthResult =
  | { ok: true; server: AuthenticatedServer }
  | {
      ok: false;
      code: number;
      /** Told to the agent: never says which of id or secret was wrong. */
      reason: string;
      /** Written to the audit log. */
      detail: string;
      serverId?: string;
      tenantId?: string;
    };

const credentialSelect = {
  id: true,
  tenantId: true,
  name: true,
  status: true,
  desiredRevision: true,
  credential: { select: { secretHash: true, revokedAt: true } },
} as const;

/** What checking one agent's hello needs from its Server row. */
export type CredentialRow = Prisma.ServerGetPayload<{ select: typeof credentialSelect }>;

/** The rows of many agents at once (one query for a whole reconnect storm's batch of hellos). */
export async function loadCredentials(
  prisma: Db,
  agentIds: readonly string[],
): Promise<Map<string, CredentialRow>> {
  const rows = await prisma.server.findMany({
    where: { id: { in: [...agentIds] } },
    select: credentialSelect,
  });
  return new Map(rows.map((row) => [row.id, row]));
}

export async function authenticateAgent(prisma: Db, agentId: string, secret: string): Promise<AuthResult> {
  return checkCredential((await loadCredentials(prisma, [agentId])).get(agentId), secret);
}

/** Checks a hello's secret against its row (undefined: no such agent). */
export function checkCredential(server: CredentialRow | undefined, secret: string): AuthResult {
  const presented = hashToken(secret);
  const isMatch = safeEqualHex(presented, server?.credential?.secretHash ?? DUMMY_HASH);
  if (!server || !server.credential || !isMatch) {
    const detail = !server ? "unknown agent" : !server.credential ? "agent not enrolled" : "wrong secret";
    return {
      ok: false,
      code: CloseCode.unauthorized,
      reason: "unknown agent or wrong secret",
      detail,
      serverId: server?.id,
      tenantId: server?.tenantId,
    };
  }
  if (server.status === ServerStatus.REVOKED || server.credential.revokedAt) {
    return {
      ok: false,
      code: CloseCode.revoked,
      reason: "agent revoked",
      detail: "agent revoked",
      serverId: server.id,
      tenantId: server.tenantId,
    };
  }
  return {
    ok: true,
    server: {
      id: server.id,
      tenantId: server.tenantId,
      name: server.name,
      desiredRevision: server.desiredRevision,
    },
  };
}
