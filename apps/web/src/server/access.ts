// Tenant access is decided here and nowhere else: roles map to `resource.action` permissions, and one
// where-builder per entity turns an actor into the rows it may touch. It fails closed — no membership,
// no matching role, or no actor means an empty result — and callers answer NOT_FOUND, never FORBIDDEN,
// for rows outside that scope.
import { Prisma, type Role } from "@mailwarden/db";
import { AppError } from "./errors";

export const permissions = [
  "customer.read",
  "customer.write",
  "user.read",
  "user.write",
  "domain.read",
  "domain.write",
  "mailbox.read",
  "mailbox.write",
  "server.read",
  "server.write",
  "policy.read",
  "policy.writeProvider",
  "policy.writeCustomer",
  "policy.writeDomain",
  "audit.read",
  /** The mail log (records of what agents decided); which rows is decided by `scope.mailLog`. */
  "logs.read",
  /** Provider staff (provider admins and auditors) and the console's own settings. */
  "staff.read",
  "staff.write",
] as const;
export type Permission = (typeof permissions)[number];

const readOnly = permissions.filter((p) => p.endsWith(".read"));

export const rolePermissions: Record<Role, readonly Permission[]> = {
  PROVIDER_ADMIN: permissions,
  CUSTOMER_ADMIN: [
    "customer.read",
    "user.read",
    "user.write",
    "domain.read",
    "domain.write",
    "mailbox.read",
    "mailbox.write",
    "server.read",
    "policy.read",
    "policy.writeCustomer",
    "policy.writeDomain",
    "audit.read",
    "logs.read",
  ],
  DOMAIN_ADMIN: [
    "domain.read",
    "mailbox.read",
    "mailbox.write",
    "policy.read",
    "policy.writeDomain",
    "logs.read",
  ],
  AUDITOR: readOnly,
};

export interface ActorMembership {
  tenantId: string;
  role: Role;
  /** For DOMAIN_ADMIN: the only domains this membership reaches. */
  domainIds: string[];
}

export interface Actor {
  userId: string;
  email: string;
  name: string;
  /** PROVIDER_ADMIN or AUDITOR across every customer; null for customer users. */
  providerRole: Role | null;
  memberships: ActorMembership[];
}

export function isProviderStaff(actor: Actor): boolean {
  return actor.providerRole !== null;
}

/** Whether the actor holds this permission anywhere (a first gate; rows are then scoped below). */
export function can(actor: Actor, permission: Permission): boolean {
  if (actor.providerRole && rolePermissions[actor.providerRole].includes(permission)) return true;
  return actor.memberships.some((m) => rolePermissions[m.role].includes(permission));
}

export function assertCan(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw new AppError("FORBIDDEN", "You do not have permission to do that.");
}

/** For what only the provider's own staff may do (People, console settings): customer roles never count. */
export function assertProviderCan(actor: Actor, permission: Permission): void {
  if (!providerHas(actor, permission))
    throw new AppError("FORBIDDEN", "You do not have permission to do that.");
}

function providerHas(actor: Actor, permission: Permission): boolean {
  return actor.providerRole !== null && rolePermissions[actor.providerRole].includes(permission);
}

/** Tenants where the actor holds `permission` for the whole tenant (not domain-limited). */
function wholeTenantIds(actor: Actor, permission: Permission): string[] {
  return actor.memberships
    .filter((m) => m.role !== "DOMAIN_ADMIN" && rolePermissions[m.role].includes(permission))
    .map((m) => m.tenantId);
}

function domainLimitedIds(actor: Actor, permission: Permission): string[] {
  return actor.memberships
    .filter((m) => m.role === "DOMAIN_ADMIN" && rolePermissions[m.role].includes(permission))
    .flatMap((m) => m.domainIds);
}

const nothing = { id: { in: [] as string[] } };

export const scope = {
  tenant(actor: Actor, permission: Permission): Prisma.TenantWhereInput {
    if (providerHas(actor, permission)) return {};
    const ids = wholeTenantIds(actor, permission);
    return ids.length ? { id: { in: ids } } : nothing;
  },

  domain(actor: Actor, permission: Permission): Prisma.DomainWhereInput {
    if (providerHas(actor, permission)) return {};
    const tenantIds = wholeTenantIds(actor, permission);
    const domainIds = domainLimitedIds(actor, permission);
    const or: Prisma.DomainWhereInput[] = [];
    if (tenantIds.length) or.push({ tenantId: { in: tenantIds } });
    if (domainIds.length) or.push({ id: { in: domainIds } });
    return or.length ? { OR: or } : nothing;
  },

  mailbox(actor: Actor, permission: Permission): Prisma.MailboxWhereInput {
    if (providerHas(actor, permission)) return {};
    return { domain: scope.domain(actor, permission) };
  },

  server(actor: Actor, permission: Permission): Prisma.ServerWhereInput {
    if (providerHas(actor, permission)) return {};
    const ids = wholeTenantIds(actor, permission);
    return ids.length ? { tenantId: { in: ids } } : nothing;
  },

  audit(actor: Actor): Prisma.AuditEventWhereInput {
    if (providerHas(actor, "audit.read")) return {};
    const ids = wholeTenantIds(actor, "audit.read");
    return ids.length ? { tenantId: { in: ids } } : nothing;
  },

  /**
   * Mail-log rows, as an SQL condition on "MailLogRecord" (a raw-SQL table, so not a Prisma where). Provider
   * staff with logs.read: all. Whole-customer members: their customers' rows — server-level rows (no
   * domain: connections, TLS, blocks, gaps) only where they may also read the servers. Domain admins: rows
   * of their domains only, never server-level ones. Anything else: no row (FALSE).
   */
  mailLog(actor: Actor): Prisma.Sql {
    if (providerHas(actor, "logs.read")) return Prisma.sql`TRUE`;
    const tenantIds = wholeTenantIds(actor, "logs.read");
    const serverReaders = new Set(wholeTenantIds(actor, "server.read"));
    const withServers = tenantIds.filter((id) => serverReaders.has(id));
    const domainRowsOnly = tenantIds.filter((id) => !serverReaders.has(id));
    const domainIds = domainLimitedIds(actor, "logs.read");
    // One id as "=": the planner then reads the (column, at DESC) index in order and stops at the page.
    const oneOf = (column: Prisma.Sql, ids: string[]) =>
      ids.length === 1 ? Prisma.sql`${column} = ${ids[0]}` : Prisma.sql`${column} = ANY(${ids}::text[])`;
    const tenant = Prisma.sql`"tenantId"`;
    const or: Prisma.Sql[] = [];
    if (withServers.length) or.push(oneOf(tenant, withServers));
    if (domainRowsOnly.length)
      or.push(Prisma.sql`(${oneOf(tenant, domainRowsOnly)} AND "domainId" IS NOT NULL)`);
    if (domainIds.length) or.push(oneOf(Prisma.sql`"domainId"`, domainIds));
    return or.length ? Prisma.sql`(${Prisma.join(or, " OR ")})` : Prisma.sql`FALSE`;
  },

  /**
   * Users whose account (password, 2FA, lock, sessions) the actor may act on: "below them". A provider
   * admin: everyone else (other provider admins included — nobody stands above them to help). A customer
   * admin: domain admins and auditors whose every membership is in customers the actor administers, so an
   * admin of one customer can never lock someone out of another customer. Never oneself.
   */
  managedUser(actor: Actor): Prisma.UserWhereInput {
    const notSelf: Prisma.UserWhereInput = { id: { not: actor.userId } };
    if (actor.providerRole === "PROVIDER_ADMIN") return notSelf;
    const ids = actor.memberships.filter((m) => m.role === "CUSTOMER_ADMIN").map((m) => m.tenantId);
    if (!ids.length) return nothing;
    return {
      AND: [
        notSelf,
        { providerRole: null },
        { memberships: { some: { tenantId: { in: ids } } } },
        {
          memberships: {
            every: { tenantId: { in: ids }, role: { in: ["DOMAIN_ADMIN", "AUDITOR"] } },
          },
        },
      ],
    };
  },

  user(actor: Actor, permission: Permission): Prisma.UserWhereInput {
    if (providerHas(actor, permission)) return {};
    const ids = wholeTenantIds(actor, permission);
    return ids.length ? { memberships: { some: { tenantId: { in: ids } } }, providerRole: null } : nothing;
  },
};
