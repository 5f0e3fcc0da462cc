// What servers enforce, computed from the database: each server's own effective policy plus, for every
// domain of its tenant, the domain's effective policy and mailboxes. Built for many servers at once: what
// they share (the tenant's domains, their policies, a config without server overrides) is read in a few
// set-based queries and computed once per change, not once per server. Kept apart from the socket code
// so the dashboard (preview) and tests can call it directly.
import {
  bounceResumesOf,
  loadFleetPolicyLayers,
  type Db,
  type Listener,
  type Prisma,
  type ServerStatus,
} from "@mailwarden/db";
import { resolvePolicy, type MailingListPosting } from "@mailwarden/policy";
import {
  agentConfigSchema,
  agentListenerNames,
  type AgentConfig,
  type AgentListenerName,
} from "@mailwarden/protocol";

/** The database's listener setting → the name the agent and its posture use. */
export const agentListenerOf: Record<Listener, AgentListenerName> = {
  INBOUND: "inbound",
  SUBMISSION: "submission",
  SUBMISSION_TLS: "submissionTls",
  POP3: "pop3",
  POP3S: "pop3s",
};

/** The server's listeners in the protocol's order (the agent opens exactly these). */
export function agentListeners(listeners: readonly Listener[]): AgentListenerName[] {
  const wanted = new Set(listeners.map((listener) => agentListenerOf[listener]));
  return agentListenerNames.filter((name) => wanted.has(name));
}

export interface BuiltAgentConfig {
  revision: number;
  config: AgentConfig;
  /** Whether an agent may be served it: the hub closes a revoked or credential-less agent's socket. */
  standing: "enrolled" | "revoked" | "unenrolled";
  /** Servers whose `sharedKey` is equal hold the same config object (the fan-out encodes it once). */
  sharedKey: string;
}

/**
 * A server without a config: deleted (its agent's socket is closed), or its config does not validate (the
 * agent keeps serving under its last good one; the reason is logged).
 */
export type UnservedServer = { status: "gone" } | { status: "invalid"; reason: string };

const domainSelect = {
  id: true,
  tenantId: true,
  name: true,
  mailboxes: {
    orderBy: { localPart: "asc" },
    select: {
      localPart: true,
      passwordHash: true,
      autoReplyEnabled: true,
      autoReplySubject: true,
      autoReplyBody: true,
      autoReplyIntervalHours: true,
      throttleMessagesPerHour: true,
      throttleMessagesPerDay: true,
    },
  },
  aliases: { orderBy: { localPart: "asc" }, select: { localPart: true, targets: true } },
  mailingLists: {
    orderBy: { localPart: "asc" },
    select: {
      localPart: true,
      name: true,
      posting: true,
      members: true,
      moderators: true,
      bounceResumes: true,
    },
  },
} as const satisfies Prisma.DomainSelect;

/**
 * The config of each server in `serverIds` (revoked and deleted ones say so). The revision is read
 * before the content: a change committed in between makes the content newer than its label, never
 * older, and that change's own notification pushes again with the right revision.
 */
export async function buildAgentConfigs(
  prisma: Db,
  serverIds: readonly string[],
  /** The servers' customers, when the caller knows them: the queries then run side by side. */
  tenantIdsHint?: readonly string[],
): Promise<Map<string, BuiltAgentConfig | UnservedServer>> {
  const out = new Map<string, BuiltAgentConfig | UnservedServer>();
  if (serverIds.length === 0) return out;
  const loadServers = prisma.server.findMany({
    where: { id: { in: [...new Set(serverIds)] } },
    select: {
      id: true,
      tenantId: true,
      status: true,
      desiredRevision: true,
      listeners: true,
      credential: { select: { revokedAt: true } },
    },
  });
  const loadTenantData = (tenantIds: string[]) =>
    Promise.all([
      prisma.domain.findMany({
        where: { tenantId: { in: tenantIds } },
        orderBy: { name: "asc" },
        select: domainSelect,
      }),
      loadFleetPolicyLayers(prisma, { tenantIds, serverIds }),
    ]);
  const hinted = tenantIdsHint ? [...new Set(tenantIdsHint)] : null;
  const hintedData = hinted ? loadTenantData(hinted) : null;
  hintedData?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const servers = await loadServers;
  for (const id of serverIds) out.set(id, { status: "gone" });
  if (servers.length === 0) {
    await hintedData;
    return out;
  }
  const tenantIds = [...new Set(servers.map((server) => server.tenantId))];
  // A server moved to another customer since the hint: load what the rows say instead.
  const isHintRight = hinted !== null && tenantIds.every((id) => hinted.includes(id));
  const [domains, layers] = isHintRight ? await hintedData! : await loadTenantData(tenantIds);

  // Once per tenant: its domains' configs.
  const domainsOfTenant = new Map<string, AgentConfig["domains"]>(tenantIds.map((id) => [id, []]));
  for (const domain of domains) {
    const policy = resolvePolicy(layers.layersOf({ tenantId: domain.tenantId, domainId: domain.id }));
    domainsOfTenant.get(domain.tenantId)!.push(domainConfig(domain, policy));
  }

  // Once per distinct (tenant, server overrides, listeners): servers without overrides share one config.
  const configs = new Map<string, AgentConfig>();
  for (const server of servers) {
    const serverLayers = layers.layersOf({ tenantId: server.tenantId, serverId: server.id });
    const listeners = agentListeners(server.listeners);
    const sharedKey = serverLayers.server
      ? `server:${server.id}`
      : `tenant:${server.tenantId}:${listeners.join(",")}`;
    let config = configs.get(sharedKey);
    if (!config) {
      // Validated like the agent will: the hub never sends a frame the agent would reject as malformed.
      const parsed = agentConfigSchema.safeParse({
        server: resolvePolicy(serverLayers),
        listeners,
        domains: domainsOfTenant.get(server.tenantId),
      });
      if (!parsed.success) {
        out.set(server.id, { status: "invalid", reason: parsed.error.message.slice(0, 2000) });
        continue;
      }
      config = parsed.data;
      configs.set(sharedKey, config);
    }
    const standing = !server.credential
      ? "unenrolled"
      : server.status === ("REVOKED" satisfies ServerStatus) || server.credential.revokedAt
        ? "revoked"
        : "enrolled";
    out.set(server.id, { revision: server.desiredRevision, config, sharedKey, standing });
  }
  return out;
}

/** One server's config (the dashboard's preview and tests); throws if it is revoked or deleted. */
export async function buildAgentConfig(
  prisma: Db,
  serverId: string,
): Promise<{ revision: number; config: AgentConfig }> {
  const built = (await buildAgentConfigs(prisma, [serverId])).get(serverId);
  if (!built) throw new Error(`server ${serverId} is gone`);
  if ("status" in built) {
    const why = built.status === "invalid" ? `config is invalid: ${built.reason}` : built.status;
    throw new Error(`server ${serverId}: ${why}`);
  }
  return { revision: built.revision, config: built.config };
}

type DomainRow = Prisma.DomainGetPayload<{ select: typeof domainSelect }>;

function domainConfig(domain: DomainRow, policy: AgentConfig["server"]): AgentConfig["domains"][number] {
  // The catch-all (row 5) travels in the domain's effective policy (catchAllMailbox).
  return {
    name: domain.name,
    policy,
    mailboxes: domain.mailboxes.map((mailbox) => ({
      localPart: mailbox.localPart,
      passwordHash: mailbox.passwordHash,
      autoReply: mailbox.autoReplyEnabled
        ? {
            subject: mailbox.autoReplySubject,
            body: mailbox.autoReplyBody,
            intervalHours: mailbox.autoReplyIntervalHours,
          }
        : null,
      // Row 20: the agent applies the stricter of these and the domain policy's limits.
      sendingLimits: {
        messagesPerHour: mailbox.throttleMessagesPerHour,
        messagesPerDay: mailbox.throttleMessagesPerDay,
      },
    })),
    aliases: domain.aliases,
    // Row 22: posting null follows the domain's mailingListPosting, resolved by the agent; resumes tell
    // it which paused members an admin let back in, and since when.
    mailingLists: domain.mailingLists.map(({ bounceResumes, ...list }) => ({
      ...list,
      posting: list.posting === null ? null : (list.posting.toLowerCase() as MailingListPosting),
      resumes: bounceResumesOf(bounceResumes, list.members),
    })),
  };
}
