// Redeeming a one-time enrollment token for a per-agent secret. Claiming the token, storing the secret's
// hash and the audit row happen in one transaction, so a token can never be redeemed twice and a crash
// halfway leaves the token unused.
import {
  ActorType,
  AuditEventType,
  ServerStatus,
  generateToken,
  hashToken,
  writeAudit,
  type Db,
} from "@mailwarden/db";
import { CloseCode } from "@mailwarden/protocol";

export interface EnrollRequest {
  token: string;
  hostname: string;
  agentVersion: string;
  ip: string;
}

export type EnrollResult =
  | { ok: true; serverId: string; tenantId: string; secret: string }
  | { ok: false; code: number; reason: string; serverId?: string; tenantId?: string };

export async function redeemEnrollmentToken(prisma: Db, request: EnrollRequest): Promise<EnrollResult> {
  const tokenHash = hashToken(request.token);
  const now = new Date();
  return prisma.$transaction(async (tx): Promise<EnrollResult> => {
    const token = await tx.enrollmentToken.findUnique({
      where: { tokenHash },
      select: {
        id: true,
        usedAt: true,
        expiresAt: true,
        server: {
          select: {
            id: true,
            tenantId: true,
            name: true,
            status: true,
            credential: { select: { revokedAt: true } },
          },
        },
      },
    });
    if (!token) return { ok: false, code: CloseCode.tokenInvalid, reason: "unknown enrollment token" };
    const { server } = token;
    const refuse = (code: number, reason: string): EnrollResult => ({
      ok: false,
      code,
      reason,
      serverId: server.id,
      tenantId: server.tenantId,
    });
    if (token.usedAt) return refuse(CloseCode.tokenInvalid, "enrollment token already used");
    if (token.expiresAt.getTime() <= now.getTime())
      return refuse(CloseCode.tokenInvalid, "enrollment token expired");
    if (server.status === ServerStatus.REVOKED || server.credential?.revokedAt)
      return refuse(CloseCode.revoked, "server revoked");

    // The conditional update is the real guard: of two concurrent redemptions only one matches usedAt = null.
    const claimed = await tx.enrollmentToken.updateMany({
      where: { id: token.id, usedAt: null },
      data: { usedAt: now },
    });
    if (claimed.count !== 1) return refuse(CloseCode.tokenInvalid, "enrollment token already used");

    const secret = generateToken();
    const secretHash = hashToken(secret);
    // A fresh token for an enrolled server is a re-install: the new secret replaces the old one.
    await tx.agentCredential.upsert({
      where: { serverId: server.id },
      create: { serverId: server.id, secretHash },
      update: { secretHash, createdAt: now, revokedAt: null },
    });
    await tx.server.update({
      where: { id: server.id },
      data: { hostname: request.hostname, agentVersion: request.agentVersion },
    });
    await writeAudit(tx, {
      type: AuditEventType.AGENT_ENROLLED,
      actorType: ActorType.AGENT,
      actorLabel: `agent ${request.hostname || server.id}`,
      tenantId: server.tenantId,
      targetType: "Server",
      targetId: server.id,
      summary: `Agent on ${request.hostname || "unknown host"} enrolled as server "${server.name}"`,
      after: { hostname: request.hostname, agentVersion: request.agentVersion },
      ip: request.ip,
    });
    return { ok: true, serverId: server.id, tenantId: server.tenantId, secret };
  });
}
