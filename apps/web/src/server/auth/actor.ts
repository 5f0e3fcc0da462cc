// Loads who is calling, fresh from the database on every request, so a removed membership or a newly
// required 2FA takes effect at once rather than when the session cookie expires.
import type { Db } from "@mailwarden/db";
import type { Actor } from "../access";

export interface ActorState {
  actor: Actor;
  totpEnabled: boolean;
  /** 2FA is mandatory for this user (provider staff, or a customer that requires it) but not set up yet. */
  needs2faSetup: boolean;
}

export async function loadActor(prisma: Db, userId: string): Promise<ActorState | null> {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      email: true,
      name: true,
      providerRole: true,
      totp: { select: { enabledAt: true } },
      memberships: {
        select: {
          tenantId: true,
          role: true,
          tenant: { select: { require2fa: true } },
          domains: { select: { domainId: true } },
        },
      },
    },
  });
  if (!user) return null;
  const totpEnabled = Boolean(user.totp?.enabledAt);
  const twoFactorRequired = user.providerRole !== null || user.memberships.some((m) => m.tenant.require2fa);
  return {
    actor: {
      userId: user.id,
      email: user.email,
      name: user.name,
      providerRole: user.providerRole,
      memberships: user.memberships.map((m) => ({
        tenantId: m.tenantId,
        role: m.role,
        domainIds: m.domains.map((d) => d.domainId),
      })),
    },
    totpEnabled,
    needs2faSetup: twoFactorRequired && !totpEnabled,
  };
}
