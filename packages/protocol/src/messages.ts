// Agent ↔ hub messages (see PROTOCOL.md beside this folder). One discriminated union per direction,
// validated with zod at both edges; type names are prefixed by their sender.
import { z } from "zod";
import { mailingListPostingModes, policySchema } from "@mailwarden/policy";
import { agentLogsMessageSchema, hubLogsAckSchema } from "./mail-log";
import { abuseBlockSchema, hubCommandSchema, MAX_ABUSE_BLOCKS, type AbuseBlockReport } from "./commands";

export const PROTOCOL_VERSION = 1;
/** Largest frame either side accepts; a bigger one closes the socket with 1009. */
export const MAX_FRAME_BYTES = 1024 * 1024;
export const AGENT_PATH = "/agent";

/** WebSocket close codes, each telling the agent what to do next. */
export const CloseCode = {
  /** Malformed or unknown frame: retry later (a bug, not a credential problem). */
  badFrame: 4000,
  /** Bad agent id or secret: stop and re-enroll. */
  unauthorized: 4001,
  /** Protocol version not spoken by this hub: give up until upgraded. */
  protocolVersion: 4002,
  /** The agent was revoked in the dashboard: give up. */
  revoked: 4003,
  /** Enrollment token unknown, used or expired: give up, ask for a new token. */
  tokenInvalid: 4004,
  /** No hello within the handshake timeout. */
  handshakeTimeout: 4005,
  /** A newer connection for the same agent replaced this one. */
  replaced: 4009,
  /** Two heartbeats missed. */
  heartbeatTimeout: 4010,
  /** Frame larger than MAX_FRAME_BYTES (standard code). */
  tooBig: 1009,
  /** Hub shutting down: reconnect with backoff. */
  goingAway: 1001,
  /** The hub failed (e.g. its database is unreachable): reconnect with backoff (standard code). */
  internalError: 1011,
} as const;

/** What an agent should do after a close code. */
export function closeAction(code: number): "retry" | "re-enroll" | "give-up" {
  if (code === CloseCode.unauthorized) return "re-enroll";
  if (code === CloseCode.protocolVersion || code === CloseCode.revoked || code === CloseCode.tokenInvalid)
    return "give-up";
  return "retry";
}

/**
 * Row 20: a mailbox's own sending limits; the agent enforces the stricter of these and the domain
 * policy's `outboundThrottle.mailboxMessagesPer*`. null = the domain's limit.
 */
export const mailboxSendingLimitsSchema = z.object({
  messagesPerHour: z.number().int().min(1).max(1_000_000).nullable(),
  messagesPerDay: z.number().int().min(1).max(1_000_000).nullable(),
});
export type MailboxSendingLimits = z.infer<typeof mailboxSendingLimitsSchema>;

const mailboxSchema = z.object({
  localPart: z.string().min(1).max(64),
  /** argon2id hash; the agent never sees a password. */
  passwordHash: z.string().min(1),
  /** Row 7: the vacation reply, sent as the domain's `autoResponders` policy allows; null = none. */
  autoReply: z
    .object({
      subject: z.string().max(998),
      body: z.string().max(65_536),
      /** One reply per original sender per this many hours. */
      intervalHours: z.number().int().min(1).max(8760),
    })
    .nullable()
    .default(null),
  /** Absent from hubs before per-mailbox limits: the domain's. */
  sendingLimits: mailboxSendingLimitsSchema.default({ messagesPerHour: null, messagesPerDay: null }),
});

/** An address that forwards to other addresses (local mailboxes or remote), expanded by the agent. */
const aliasSchema = z.object({
  localPart: z.string().min(1).max(64),
  targets: z.array(z.string().min(3).max(320)).min(1).max(100),
});

/**
 * Row 22: a list address of the domain. The agent checks who may post at RCPT and expands accepted mail
 * to the members with list headers; `posting` null follows the domain's `mailingListPosting`.
 */
const mailingListSchema = z.object({
  localPart: z.string().min(1).max(64),
  name: z.string().max(200),
  posting: z.enum(mailingListPostingModes).nullable(),
  members: z.array(z.string().min(3).max(320)).max(1000),
  moderators: z.array(z.string().min(3).max(320)).max(100),
  /**
   * Members an admin resumed after the agent paused them for bounces, and when: bounces counted before
   * that time are forgotten. Absent from hubs before bounce processing: none.
   */
  resumes: z
    .array(z.object({ address: z.string().min(3).max(320), at: z.string().max(40) }))
    .max(1000)
    .default([]),
});
export type AgentMailingList = z.infer<typeof mailingListSchema>;

/**
 * The network listeners an agent can open: inbound MX (25), submission with STARTTLS (587), submission
 * over implicit TLS (465), POP3 with STLS (110) and POP3 over implicit TLS (995). Which ones it opens is a
 * server setting (`listeners` below); the port and address of each come from the agent's settings file.
 */
export const agentListenerNames = ["inbound", "submission", "submissionTls", "pop3", "pop3s"] as const;
export type AgentListenerName = (typeof agentListenerNames)[number];

/** Everything an agent enforces, computed by the hub for one server. */
export const agentConfigSchema = z.object({
  /** Server-level effective policy (rows 1, 12, 13...). */
  server: policySchema,
  /**
   * The listeners this agent opens; every other one stays closed. Absent from hubs before the setting:
   * all five, as those agents always opened.
   */
  listeners: z
    .array(z.enum(agentListenerNames))
    .max(agentListenerNames.length)
    .refine((names) => new Set(names).size === names.length, "a listener is named twice")
    .default([...agentListenerNames]),
  domains: z.array(
    z.object({
      name: z.string().min(1),
      /** Domain-level effective policy (rows 2, 14...). */
      policy: policySchema,
      mailboxes: z.array(mailboxSchema),
      /** Absent from hubs before aliases: none. */
      aliases: z.array(aliasSchema).max(10_000).default([]),
      /** Absent from hubs before mailing lists (row 22): none. */
      mailingLists: z.array(mailingListSchema).max(1000).default([]),
    }),
  ),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/**
 * Row 22: a list member whose copies bounce stops getting them after bounces on this many different
 * days (at most one counted per day, as Mailman does: one bad day of a member's server is not enough).
 * A week without bounces starts the count over; a paused member stays paused until an admin resumes.
 */
export const LIST_BOUNCE_PAUSE_DAYS = 3;
/** Row 22: days without a bounce after which a member's count starts over. */
export const LIST_BOUNCE_STALE_DAYS = 7;

/** Row 22: one list member with bounces, as the agent counts them (agent/src/lists/bounce-ledger.ts). */
export const listBounceSchema = z.object({
  /** The list's address. */
  list: z.string().max(320),
  member: z.string().max(320),
  /** Different days with a bounce since the count last started. */
  bounceDays: z.number().int().nonnegative(),
  lastBounceAt: z.string().max(40),
  /** RFC 3463 status of the last bounce, e.g. 5.1.1. */
  lastStatus: z.string().max(16),
  /** The last bounce's reply or diagnostic, one line. */
  lastDiagnostic: z.string().max(300),
  /** Where the last bounce came from: this server's own delivery attempt, or a DSN to <list>-bounces. */
  lastSource: z.enum(["delivery", "dsn"]),
  /** Since when copies skip this member (LIST_BOUNCE_PAUSE_DAYS reached); null while still getting them. */
  pausedAt: z.string().max(40).nullable(),
});
export type ListBounceReport = z.infer<typeof listBounceSchema>;

export const postureSchema = z.object({
  agentVersion: z.string(),
  hostname: z.string(),
  listeners: z.array(
    z.object({
      name: z.string(),
      port: z.number().int(),
      tls: z.enum(["none", "starttls", "implicit"]),
      authAdvertisedBeforeTls: z.boolean(),
    }),
  ),
  tlsVersions: z.array(z.string()),
  certificate: z.object({
    subject: z.string(),
    selfSigned: z.boolean(),
    notAfter: z.string(),
    daysLeft: z.number(),
  }),
  queueSize: z.number().int().nonnegative(),
  memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number() }),
  appliedRevision: z.number().int().nullable(),
  uptimeSeconds: z.number(),
  /** DKIM public keys of the domains this agent signs for (row 11); absent from agents before it. */
  dkim: z
    .array(
      z.object({
        domain: z.string().max(253),
        selector: z.string().max(63),
        /** Base64 DER SubjectPublicKeyInfo: the p= of "<selector>._domainkey.<domain> TXT". */
        publicKey: z.string().max(4096),
      }),
    )
    .max(5000)
    .optional(),
  /** Row 21: abuse blocks in force (the console's alert on suspended users); absent from older agents. */
  abuseBlocks: z.array(abuseBlockSchema).max(MAX_ABUSE_BLOCKS).optional(),
  /** Row 14: mailboxes whose last login used a password the policy in force refuses; absent before it. */
  weakPasswords: z
    .array(
      z.object({
        address: z.string().max(320),
        problems: z.array(z.string().max(300)).max(10),
        seenAt: z.string().max(40),
      }),
    )
    .max(5000)
    .optional(),
  /** Row 22: list members with bounces, paused or not yet; absent from agents before bounce processing. */
  listBounces: z.array(listBounceSchema).max(5000).optional(),
});
export type Posture = z.infer<typeof postureSchema>;

/** Row 22: the list bounces of a stored posture (any JSON); none when it has none or cannot be read. */
export function listBouncesOf(posture: unknown): ListBounceReport[] {
  const bounces = (posture as { listBounces?: unknown } | null)?.listBounces;
  return postureSchema.shape.listBounces.safeParse(bounces).data ?? [];
}

/** Row 21: the abuse blocks of a stored posture (any JSON); none when it has none or cannot be read. */
export function abuseBlocksOf(posture: unknown): AbuseBlockReport[] {
  const blocks = (posture as { abuseBlocks?: unknown } | null)?.abuseBlocks;
  return postureSchema.shape.abuseBlocks.safeParse(blocks).data ?? [];
}

export const agentMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("agent.enroll"),
    protocolVersion: z.number().int(),
    token: z.string().min(16).max(256),
    hostname: z.string().max(253),
    agentVersion: z.string().max(64),
  }),
  z.object({
    type: z.literal("agent.hello"),
    protocolVersion: z.number().int(),
    agentId: z.string().min(1).max(64),
    secret: z.string().min(16).max(256),
    hostname: z.string().max(253),
    agentVersion: z.string().max(64),
    appliedRevision: z.number().int().nullable(),
  }),
  z.object({
    type: z.literal("agent.heartbeat"),
    sentAt: z.string(),
    /** The revision the agent runs, so an ack lost on the way is made good on the next beat (optional: older agents). */
    appliedRevision: z.number().int().nullable().optional(),
  }),
  z.object({ type: z.literal("agent.config.applied"), revision: z.number().int() }),
  z.object({
    type: z.literal("agent.config.rejected"),
    revision: z.number().int(),
    errors: z.array(z.string()).max(50),
  }),
  z.object({ type: z.literal("agent.posture"), posture: postureSchema }),
  /** The answer to hub.command; `result` is checked against commandResultSchemas by the hub. */
  z.object({
    type: z.literal("agent.command.result"),
    commandId: z.string().min(1).max(64),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.string().max(2000).optional(),
  }),
  /** Mail-log records (mail-log.ts); the hub answers hub.logs.ack once they are stored. */
  agentLogsMessageSchema,
]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;

export const hubMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hub.enrolled"), agentId: z.string(), secret: z.string() }),
  z.object({
    type: z.literal("hub.welcome"),
    agentId: z.string(),
    heartbeatIntervalMs: z.number().int().positive(),
  }),
  z.object({ type: z.literal("hub.heartbeat.ack"), receivedAt: z.string() }),
  z.object({
    type: z.literal("hub.config.apply"),
    revision: z.number().int(),
    config: agentConfigSchema,
  }),
  z.object({ type: z.literal("hub.error"), code: z.number().int(), message: z.string() }),
  z.object({
    type: z.literal("hub.command"),
    commandId: z.string().min(1).max(64),
    command: hubCommandSchema,
  }),
  hubLogsAckSchema,
]);
export type HubMessage = z.infer<typeof hubMessageSchema>;
