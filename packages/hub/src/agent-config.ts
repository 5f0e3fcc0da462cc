// What one server enforces, computed from the database: its own effective policy plus, for every domain
// of its tenant, the domain's effective policy and mailboxes. Kept apart from the socket code so the
// dashboard (preview) and tests can call it directly.
import { bounceResumesOf, loadPolicyLayers, type Db, type Listener } from "@mailwarden/db";
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

export async function buildAgentConfig(
  prisma: Db,
  serverId: string,
): Promise<{ revision: number; config: AgentConfig }> {
  // The revision is read before the content: a change committed in between makes the content newer than
  // its label, never older, and that change's own notification pushes again with the right revision.
  const server = await prisma.server.findUniqueOrThrow({
    where: { id: serverId },
    select: { tenantId: true, desiredRevision: true, listeners: true },
  });
  const { tenantId } = server;
  const serverPolicy = resolvePolicy(await loadPolicyLayers(prisma, { tenantId, serverId }));
  const domains = await prisma.domain.findMany({
    where: { tenantId },
    orderBy: { name: "asc" },
    select: {
      id: true,
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
    },
  });
  const domainConfigs: AgentConfig["domains"] = [];
  // One domain at a time: a tenant with many domains must not take the whole connection pool.
  for (const domain of domains) {
    const policy = resolvePolicy(await loadPolicyLayers(prisma, { tenantId, domainId: domain.id }));
    // The catch-all (row 5) travels in the domain's effective policy (catchAllMailbox).
    domainConfigs.push({
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
    });
  }
  // Validated like the agent will: the hub never sends a frame the agent would reject as malformed.
  const config = agentConfigSchema.parse({
    server: serverPolicy,
    listeners: agentListeners(server.listeners),
    domains: domainConfigs,
  });
  return { revision: server.desiredRevision, config };
}
