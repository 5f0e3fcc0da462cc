// The mail log: one typed record for every decision an agent makes (issue 13, DESIGN.md "the pull half").
// The agent appends records to its spool before the reply they describe is sent, numbers them with its
// own sequence, and ships them in `agent.logs` batches; the hub stores a batch and only then answers
// `hub.logs.ack`. Records are facts about mail, not the agent's operational (pino) log.
import { z } from "zod";

/** Most records one `agent.logs` batch may carry. */
export const MAX_LOG_BATCH_RECORDS = 500;
/** Batches an agent may have sent and not yet seen acknowledged. */
export const LOG_BATCH_WINDOW = 4;

const text = (max: number) => z.string().max(max);
const address = text(320);
const domainName = text(253);
const reply = text(1000);
const ruleId = text(64);
/** RFC 3463 enhanced status, e.g. 5.7.1; "" when the reply has none. */
const enhancedStatus = text(16);

/** What every record carries. `domain` is the domain the record concerns, where there is one. */
const common = {
  /** Per-agent sequence number: 1, 2, 3… never reused, also across restarts. */
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /** When it happened (ISO 8601, the agent's clock). */
  at: z.iso.datetime({ offset: true }),
  domain: domainName.optional(),
};

/** Which SMTP session a record belongs to (the agent's session id) and who was on the other end. */
const sessionFields = {
  session: text(64),
  listener: text(32),
  client: text(64),
};

/** A refusal: the rule that decided, the reply sent and its enhanced status. */
const refusalFields = {
  rule: ruleId,
  code: z.number().int().min(400).max(599),
  status: enhancedStatus,
  reply,
};

/** `inbound`: mail for this server's domains from the outside; `outbound`: mail a user sends out. */
export const mailDirections = ["inbound", "outbound"] as const;
export type MailDirection = (typeof mailDirections)[number];

const authResult = text(32);

export const mailLogRecordSchema = z.discriminatedUnion("type", [
  z.object({
    ...common,
    ...sessionFields,
    type: z.literal("connection.opened"),
    clientName: text(253).optional(),
  }),
  z.object({ ...common, ...sessionFields, ...refusalFields, type: z.literal("connection.refused") }),
  z.object({
    ...common,
    ...sessionFields,
    type: z.literal("tls.established"),
    version: text(32),
    cipher: text(128),
  }),
  z.object({
    ...common,
    ...sessionFields,
    type: z.literal("auth.succeeded"),
    mechanism: text(32),
    user: address,
  }),
  z.object({
    ...common,
    ...sessionFields,
    ...refusalFields,
    type: z.literal("auth.failed"),
    mechanism: text(32),
    user: address,
  }),
  z.object({
    ...common,
    ...sessionFields,
    type: z.literal("mail.from"),
    from: address,
    outcome: z.enum(["accepted", "refused"]),
    ...refusalFields,
    rule: ruleId.optional(),
    code: refusalFields.code.optional(),
    status: enhancedStatus.optional(),
    reply: reply.optional(),
  }),
  z.object({
    ...common,
    ...sessionFields,
    type: z.literal("rcpt.to"),
    from: address,
    to: address,
    direction: z.enum(mailDirections),
    outcome: z.enum(["accepted", "refused"]),
    rule: ruleId.optional(),
    code: refusalFields.code.optional(),
    status: enhancedStatus.optional(),
    reply: reply.optional(),
  }),
  z.object({
    ...common,
    ...sessionFields,
    type: z.literal("message.accepted"),
    direction: z.enum(mailDirections),
    queueId: text(64),
    messageId: text(998).optional(),
    from: address,
    to: z.array(address).min(1).max(1000),
    size: z.number().int().nonnegative(),
    spf: authResult,
    dkim: authResult,
    dmarc: authResult,
    arc: authResult,
    folder: z.enum(["inbox", "junk"]),
  }),
  z.object({
    ...common,
    ...sessionFields,
    ...refusalFields,
    type: z.literal("message.refused"),
    direction: z.enum(mailDirections),
    messageId: text(998).optional(),
    from: address,
    to: z.array(address).max(1000),
    size: z.number().int().nonnegative().optional(),
  }),
  z.object({
    ...common,
    type: z.literal("delivery"),
    direction: z.enum(mailDirections),
    queueId: text(64),
    messageId: text(998).optional(),
    from: address,
    to: address,
    outcome: z.enum(["delivered", "deferred", "bounced"]),
    /**
     * "maildir" for a local mailbox, the remote host that answered (or was tried), or "administrator"
     * when an admin returned the message to its sender from the console's queue view.
     */
    host: text(253),
    reply,
    status: enhancedStatus,
    /** Attempts made so far; 0 when an admin returned the message before its first one. */
    attempt: z.number().int().nonnegative(),
    /** Deferred: when the next attempt is due. */
    nextAttemptAt: z.iso.datetime({ offset: true }).optional(),
  }),
  z.object({
    ...common,
    type: z.literal("dsn.sent"),
    /** The queue id of the message the notification is about, and the notification's own. */
    queueId: text(64),
    dsnQueueId: text(64),
    messageId: text(998).optional(),
    to: address,
    action: z.enum(["failed", "delayed"]),
  }),
  z.object({
    ...common,
    type: z.literal("autoreply.sent"),
    queueId: text(64),
    replyQueueId: text(64),
    from: address,
    to: address,
  }),
  z.object({
    ...common,
    type: z.literal("abuse.blocked"),
    kind: z.enum(["ip", "user"]),
    subject: text(320),
    rule: ruleId,
    action: z.enum(["block", "delay", "suspend"]),
    reason: text(300),
    until: z.iso.datetime({ offset: true }).nullable(),
  }),
  z.object({
    ...common,
    type: z.literal("abuse.lifted"),
    kind: z.enum(["ip", "user"]),
    subject: text(320),
    rule: ruleId,
    /** "console": an admin lifted it; "expired": its time ran out. */
    by: z.enum(["console", "expired"]),
  }),
  z.object({ ...common, type: z.literal("policy.applied"), revision: z.number().int() }),
  z.object({
    ...common,
    type: z.literal("gap"),
    /** The sequence numbers lost, inclusive. */
    fromSeq: z.number().int().positive(),
    toSeq: z.number().int().positive(),
    reason: z.enum(["spool-full", "write-failed"]),
  }),
]);
export type MailLogRecord = z.infer<typeof mailLogRecordSchema>;
export type MailLogType = MailLogRecord["type"];
/** A record before the spool numbers it. */
export type MailLogEvent = MailLogRecord extends infer R
  ? R extends MailLogRecord
    ? Omit<R, "seq">
    : never
  : never;

/**
 * The one outcome a search filters on, whatever the record's type: a refusal with a 5xx reply is
 * `rejected` and with a 4xx `deferred`; null for records that are not about a message's fate.
 */
export const mailLogOutcomes = ["accepted", "rejected", "deferred", "bounced", "delivered"] as const;
export type MailLogOutcome = (typeof mailLogOutcomes)[number];

export function outcomeOf(record: MailLogRecord): MailLogOutcome | null {
  switch (record.type) {
    case "connection.refused":
    case "auth.failed":
    case "message.refused":
      return record.code >= 500 ? "rejected" : "deferred";
    case "mail.from":
    case "rcpt.to":
      if (record.outcome === "accepted") return "accepted";
      return (record.code ?? 550) >= 500 ? "rejected" : "deferred";
    case "message.accepted":
      return "accepted";
    case "delivery":
      return record.outcome;
    default:
      return null;
  }
}

/** The recipients a record is about (searching by recipient finds it). */
export function recipientsOf(record: MailLogRecord): string[] {
  switch (record.type) {
    case "rcpt.to":
    case "delivery":
    case "dsn.sent":
    case "autoreply.sent":
      return [record.to];
    case "message.accepted":
    case "message.refused":
      return record.to;
    default:
      return [];
  }
}

/** Which row 23 setting decides whether a record exists: SMTP sessions, deliveries, or always kept. */
export function logLevelSettingOf(type: MailLogType): "smtpLogLevel" | "deliveryLogLevel" | null {
  if (type === "delivery" || type === "dsn.sent" || type === "autoreply.sent") return "deliveryLogLevel";
  if (type.startsWith("abuse.") || type === "policy.applied" || type === "gap") return null;
  return "smtpLogLevel";
}

/** True when a record reports success only: the "normal" logging level leaves these out. */
export function isSuccessRecord(record: MailLogEvent): boolean {
  switch (record.type) {
    case "connection.opened":
    case "tls.established":
    case "auth.succeeded":
    case "message.accepted":
    case "dsn.sent":
    case "autoreply.sent":
      return true;
    case "mail.from":
    case "rcpt.to":
      return record.outcome === "accepted";
    case "delivery":
      return record.outcome === "delivered";
    default:
      return false;
  }
}

export const agentLogsMessageSchema = z.object({
  type: z.literal("agent.logs"),
  /** The agent's id for this batch, echoed in the ack. */
  batch: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  records: z
    .array(mailLogRecordSchema)
    .min(1)
    .max(MAX_LOG_BATCH_RECORDS)
    .refine(
      (records) => records.every((record, i) => i === 0 || record.seq > records[i - 1]!.seq),
      "records must be in increasing sequence order, each number once",
    ),
});

export const hubLogsAckSchema = z.object({
  type: z.literal("hub.logs.ack"),
  batch: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  /** Every record of the batch is stored (or was already): the agent may delete them. */
  stored: z.number().int().nonnegative(),
});
