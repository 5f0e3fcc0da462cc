// Servers (customer hosts running the agent): creation issues a one-time enrollment token (shown once,
// stored hashed, expiring), revocation closes the agent's socket through the hub; which listeners the
// agent opens is a server setting pushed in its config.
import net from "node:net";
import {
  generateToken,
  hashToken,
  markConfigChanged,
  writeAudit,
  type Db,
  type Listener,
} from "@mailwarden/db";
import { postureSchema, type AgentListenerName, type Posture } from "@mailwarden/protocol";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import { auditActor } from "./audit";

export const ENROLLMENT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
/** How the audit log says it: the expiry itself is stored with the token and shown on the server page. */
const tokenLifetime = `${ENROLLMENT_TOKEN_TTL_MS / 3_600_000} hours`;

/**
 * The listeners an agent can open, in the order the console shows them: the setting's value, the name
 * the agent reports in its posture, a label and the usual port (the agent's settings file may move it).
 */
export const listenerCatalogue = [
  { key: "INBOUND", name: "inbound", label: "Inbound mail (MX)", usualPort: 25 },
  { key: "SUBMISSION", name: "submission", label: "Submission with STARTTLS", usualPort: 587 },
  { key: "SUBMISSION_TLS", name: "submissionTls", label: "Submission over TLS", usualPort: 465 },
  { key: "POP3", name: "pop3", label: "POP3 with STLS", usualPort: 110 },
  { key: "POP3S", name: "pop3s", label: "POP3 over TLS", usualPort: 995 },
] as const satisfies readonly { key: Listener; name: AgentListenerName; label: string; usualPort: number }[];

/** Each listener: whether the setting turns it on, and the port it listens on as the agent last reported. */
function listenersView(setting: readonly Listener[], posture: Posture | null) {
  return listenerCatalogue.map((listener) => ({
    key: listener.key,
    label: listener.label,
    usualPort: listener.usualPort,
    isOn: setting.includes(listener.key),
    /** null: the agent's last posture shows it closed (or there is no posture yet). */
    port: posture?.listeners.find((reported) => reported.name === listener.name)?.port ?? null,
  }));
}

function describeListeners(listeners: readonly Listener[]): string {
  const on = listenerCatalogue.filter((listener) => listeners.includes(listener.key));
  return on.length ? on.map((listener) => `${listener.label} (${listener.usualPort})`).join(", ") : "none";
}

/** "mwe_" + random: recognisable in logs and never starting with "-", so it is safe on a command line. */
export function newEnrollmentTokenValue(): string {
  return `mwe_${generateToken(24)}`;
}

export function hubUrlFor(publicUrl: string): string {
  const url = new URL("/agent", publicUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

// Addresses that only ever reach the machine they are used on (and the unspecified ones, which reach
// nothing from elsewhere either).
const loopback = new net.BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("0.0.0.0", "ipv4");
loopback.addAddress("::1", "ipv6");
loopback.addAddress("::", "ipv6");
loopback.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

/** Whether agents on other hosts cannot reach this console address (localhost, 127.0.0.1, [::1], …). */
export function isLoopbackUrl(publicUrl: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(publicUrl).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  const family = net.isIP(hostname);
  return family !== 0 && loopback.check(hostname, family === 4 ? "ipv4" : "ipv6");
}

/** The address install commands name, and whether agents elsewhere can reach it (the Add-server warning). */
export function consoleAddress(publicUrl: string) {
  return { url: publicUrl, isLoopback: isLoopbackUrl(publicUrl) };
}

/** `install`: the one-liner for a fresh host (agent/install.sh); `enroll`: for a host that has the agent. */
export function enrollCommands(publicUrl: string, token: string) {
  return {
    install: `curl -fsSL ${publicUrl.replace(/\/+$/, "")}/install.sh | sh -s -- --token ${token}`,
    enroll: `mailwarden-agent enroll --url ${hubUrlFor(publicUrl)} --token ${token} && mailwarden-agent run`,
  };
}

export async function listServers(prisma: Db, actor: Actor, filter: { customerId?: string }) {
  const rows = await prisma.server.findMany({
    where: {
      AND: [scope.server(actor, "server.read"), filter.customerId ? { tenantId: filter.customerId } : {}],
    },
    orderBy: { name: "asc" },
    include: { tenant: { select: { id: true, name: true } } },
  });
  return rows.map((s) => ({
    id: s.id,
    name: s.name,
    customer: s.tenant,
    status: s.status,
    hostname: s.hostname,
    agentVersion: s.agentVersion,
    lastSeenAt: s.lastSeenAt,
    desiredRevision: s.desiredRevision,
    appliedRevision: s.appliedRevision,
    lastRejectedRevision: s.lastRejectedRevision,
    lastRejectReason: s.lastRejectReason,
  }));
}

export async function getServer(prisma: Db, actor: Actor, serverId: string) {
  const s = await prisma.server.findFirst({
    where: { AND: [{ id: serverId }, scope.server(actor, "server.read")] },
    include: {
      tenant: { select: { id: true, name: true } },
      enrollmentTokens: {
        where: { usedAt: null, expiresAt: { gt: new Date() } },
        select: { expiresAt: true },
      },
    },
  });
  if (!s) throw new AppError("NOT_FOUND", "Server not found.");
  const posture = postureSchema.safeParse(s.posture);
  return {
    id: s.id,
    name: s.name,
    customer: s.tenant,
    status: s.status,
    hostname: s.hostname,
    agentVersion: s.agentVersion,
    lastSeenAt: s.lastSeenAt,
    desiredRevision: s.desiredRevision,
    appliedRevision: s.appliedRevision,
    lastRejectedRevision: s.lastRejectedRevision,
    lastRejectReason: s.lastRejectReason,
    posture: posture.success ? posture.data : null,
    postureAt: s.postureAt,
    listeners: listenersView(s.listeners, posture.success ? posture.data : null),
    pendingTokenExpiresAt: s.enrollmentTokens[0]?.expiresAt ?? null,
    revokedAt: s.revokedAt,
  };
}

async function findWritableServer(prisma: Db, actor: Actor, serverId: string) {
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: serverId }, scope.server(actor, "server.write")] },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  return server;
}

async function issueToken(
  tx: Parameters<Parameters<Db["$transaction"]>[0]>[0],
  serverId: string,
  userId: string,
) {
  const token = newEnrollmentTokenValue();
  const expiresAt = new Date(Date.now() + ENROLLMENT_TOKEN_TTL_MS);
  await tx.enrollmentToken.updateMany({ where: { serverId, usedAt: null }, data: { expiresAt: new Date() } });
  await tx.enrollmentToken.create({
    data: { serverId, tokenHash: hashToken(token), expiresAt, createdById: userId },
  });
  return { token, expiresAt };
}

export async function createServer(
  prisma: Db,
  actor: Actor,
  input: { name: string; customerId: string },
  ip: string | null,
) {
  assertCan(actor, "server.write");
  const tenant = await prisma.tenant.findFirst({
    where: { AND: [{ id: input.customerId }, scope.tenant(actor, "server.write")] },
  });
  if (!tenant) throw new AppError("NOT_FOUND", "Customer not found.");
  return prisma.$transaction(async (tx) => {
    const server = await tx.server.create({ data: { name: input.name.trim(), tenantId: tenant.id } });
    const { token, expiresAt } = await issueToken(tx, server.id, actor.userId);
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "SERVER_CREATED",
      tenantId: tenant.id,
      targetType: "server",
      targetId: server.id,
      summary: `Server ${server.name} added for ${tenant.name}; enrollment token issued (valid for ${tokenLifetime})`,
      after: { name: server.name },
    });
    return { id: server.id, token, expiresAt };
  });
}

export async function newEnrollmentToken(prisma: Db, actor: Actor, serverId: string, ip: string | null) {
  assertCan(actor, "server.write");
  const server = await findWritableServer(prisma, actor, serverId);
  if (server.status === "REVOKED")
    throw new AppError("BAD_REQUEST", "This server was revoked; add it again instead.");
  return prisma.$transaction(async (tx) => {
    const { token, expiresAt } = await issueToken(tx, server.id, actor.userId);
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "ENROLLMENT_TOKEN_CREATED",
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: `New enrollment token for ${server.name} (valid for ${tokenLifetime})`,
    });
    return { id: server.id, token, expiresAt };
  });
}

export async function revokeServer(prisma: Db, actor: Actor, serverId: string, ip: string | null) {
  assertCan(actor, "server.write");
  const server = await findWritableServer(prisma, actor, serverId);
  await prisma.$transaction(async (tx) => {
    // Signal first: markConfigChanged skips revoked servers, and the hub reads the new state at commit.
    await markConfigChanged(tx, { serverId: server.id });
    await tx.server.update({ where: { id: server.id }, data: { status: "REVOKED", revokedAt: new Date() } });
    await tx.agentCredential.updateMany({ where: { serverId: server.id }, data: { revokedAt: new Date() } });
    await tx.enrollmentToken.updateMany({
      where: { serverId: server.id, usedAt: null },
      data: { expiresAt: new Date() },
    });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "SERVER_REVOKED",
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: `Agent of ${server.name} revoked; its connection is closed`,
    });
  });
  return { id: server.id };
}

export async function deleteServer(prisma: Db, actor: Actor, serverId: string, ip: string | null) {
  assertCan(actor, "server.write");
  const server = await findWritableServer(prisma, actor, serverId);
  await prisma.$transaction(async (tx) => {
    await markConfigChanged(tx, { serverId: server.id });
    await tx.server.delete({ where: { id: server.id } });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "SERVER_DELETED",
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: `Server ${server.name} deleted`,
      before: { name: server.name },
    });
  });
  return { id: server.id };
}

/**
 * Which listeners the agent opens. Like a policy change, the new setting and its audit event are one
 * transaction that bumps the server's desired revision, and the hub pushes the config to the agent.
 */
export async function updateServerListeners(
  prisma: Db,
  actor: Actor,
  input: { serverId: string; listeners: Listener[] },
  ip: string | null,
) {
  // Outside the caller's tenants the server does not exist (NOT_FOUND); inside, changing it needs server.write.
  const readable = await prisma.server.findFirst({
    where: { AND: [{ id: input.serverId }, scope.server(actor, "server.read")] },
    select: { id: true },
  });
  if (!readable) throw new AppError("NOT_FOUND", "Server not found.");
  assertCan(actor, "server.write");
  const server = await findWritableServer(prisma, actor, input.serverId);
  if (server.status === "REVOKED") {
    throw new AppError("BAD_REQUEST", "This server was revoked; its listeners can no longer be changed.");
  }
  const listeners = listenerCatalogue
    .map((listener) => listener.key)
    .filter((key) => input.listeners.includes(key));
  const turnedOn = listeners.filter((key) => !server.listeners.includes(key));
  const turnedOff = server.listeners.filter((key) => !listeners.includes(key));
  if (turnedOn.length === 0 && turnedOff.length === 0) return { id: server.id, listeners, changed: false };
  const labelOf = (key: Listener) => listenerCatalogue.find((listener) => listener.key === key)!.label;
  await prisma.$transaction(async (tx) => {
    await tx.server.update({ where: { id: server.id }, data: { listeners } });
    await markConfigChanged(tx, { serverId: server.id });
    await writeAudit(tx, {
      ...auditActor(actor, ip),
      type: "SERVER_UPDATED",
      tenantId: server.tenantId,
      targetType: "server",
      targetId: server.id,
      summary: [
        `Listeners of ${server.name} changed`,
        turnedOn.length ? `turned on: ${turnedOn.map(labelOf).join(", ")}` : null,
        turnedOff.length ? `turned off: ${turnedOff.map(labelOf).join(", ")}` : null,
      ]
        .filter(Boolean)
        .join(" — "),
      before: { listeners: describeListeners(server.listeners) },
      after: { listeners: describeListeners(listeners) },
    });
  });
  return { id: server.id, listeners, changed: true };
}
