// One-off commands the dashboard sends an agent through the hub (hub.command) and what the agent answers
// (agent.command.result): the mail queue — list it, retry, reset retry counts, delete, bounce — and the
// abuse blocks of row 21 — list them, lift them.
// Commands are strict (no unknown keys, bounded lists) because the agent acts on them; results are
// bounded so the listing of a huge queue still fits in one frame.
import { z } from "zod";

/** Most message ids one action may name, and most entries one listing carries. */
export const MAX_COMMAND_IDS = 500;
export const MAX_QUEUE_LIST_ENTRIES = 500;
/** Most recipients shown per listed message. */
export const MAX_QUEUE_LIST_RECIPIENTS = 200;
/** Longest last error kept per recipient in a listing. */
export const MAX_QUEUE_ERROR_LENGTH = 1000;

/** A queue entry id as the agent names them (letters, digits; DSNs add a suffix). */
export const queueMessageIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, "not a queue message id");

const queueMessageIds = z.array(queueMessageIdSchema).min(1).max(MAX_COMMAND_IDS);

/** Row 21: most abuse blocks one listing (or posture) carries, and most one lift names. */
export const MAX_ABUSE_BLOCKS = 1000;
export const MAX_ABUSE_LIFT_IDS = 100;

/** An abuse block id as the agent names them. */
export const abuseBlockIdSchema = z.string().regex(/^[0-9a-f]{16}$/, "not an abuse block id");

/**
 * Row 21: one block in force on an agent — an address refused (`block`, 554) or tempfailed (`delay`,
 * 421) at connect, or a user whose sending is suspended (`suspend`, until lifted: `until` null).
 */
export const abuseBlockSchema = z.strictObject({
  id: abuseBlockIdSchema,
  kind: z.enum(["ip", "user"]),
  /** The client address, or the user's mailbox address. */
  subject: z.string().min(1).max(320),
  /** The rule that tripped: ids.dos, ids.harvesting, ids.brute-force, ids.internal-spammer. */
  rule: z.string().min(1).max(64),
  action: z.enum(["block", "delay", "suspend"]),
  /** What crossed the threshold ("5 failed logins within 10 min"). */
  reason: z.string().max(300),
  since: z.string().max(64),
  until: z.string().max(64).nullable(),
});
export type AbuseBlockReport = z.infer<typeof abuseBlockSchema>;

/** What each abuse rule id means to an admin (the console's words for the agent's rule ids). */
export const abuseRuleLabels: Record<string, string> = {
  "ids.dos": "Denial of service",
  "ids.harvesting": "Address harvesting",
  "ids.brute-force": "Password brute force",
  "ids.internal-spammer": "Internal spammer",
};

export const hubCommandSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("queue.list") }),
  /** Make the messages' pending recipients due now. */
  z.strictObject({ type: z.literal("queue.retry"), ids: queueMessageIds }),
  /** Start the retry schedule over (attempts 0, due now) for every message in the queue. */
  z.strictObject({ type: z.literal("queue.resetRetries") }),
  /** Drop the messages without delivering or bouncing them. */
  z.strictObject({ type: z.literal("queue.delete"), ids: queueMessageIds }),
  /** Fail the messages' pending recipients now; a bounce goes to the sender if policy allows. */
  z.strictObject({ type: z.literal("queue.bounce"), ids: queueMessageIds }),
  /** Row 21: the abuse blocks in force. */
  z.strictObject({ type: z.literal("abuse.list") }),
  /** Row 21: lift the named blocks (a suspended user's held mail is then delivered). */
  z.strictObject({
    type: z.literal("abuse.lift"),
    ids: z.array(abuseBlockIdSchema).min(1).max(MAX_ABUSE_LIFT_IDS),
  }),
]);
export type HubCommand = z.infer<typeof hubCommandSchema>;
export type HubCommandType = HubCommand["type"];
export const hubCommandTypes = hubCommandSchema.options.map((o) => o.shape.type.value);

/** The envelope of hub.command alone: lets an agent answer a command it cannot parse instead of dropping it. */
export const hubCommandEnvelopeSchema = z.object({
  type: z.literal("hub.command"),
  commandId: z.string().min(1).max(64),
  command: z.unknown(),
});

const isoTime = z.string().max(64);

export const queueListResultSchema = z.strictObject({
  /** Messages in the queue (entries may list fewer: the oldest MAX_QUEUE_LIST_ENTRIES). */
  size: z.number().int().nonnegative(),
  oldestAt: isoTime.nullable(),
  entries: z
    .array(
      z.strictObject({
        id: queueMessageIdSchema,
        /** Envelope sender; "" for a bounce (the null sender). */
        from: z.string().max(512),
        receivedAt: isoTime,
        /** Bytes; null when the agent does not know it. */
        size: z.number().int().nonnegative().nullable(),
        /** Recipients of the message (at most MAX_QUEUE_LIST_RECIPIENTS listed). */
        recipientCount: z.number().int().nonnegative(),
        /** Row 21: held while its sender's sending is suspended; absent when not (and from older agents). */
        held: z.boolean().optional(),
        recipients: z
          .array(
            z.strictObject({
              address: z.string().max(512),
              state: z.enum(["pending", "delivered", "failed"]),
              attempts: z.number().int().nonnegative(),
              /** null once delivered or failed. */
              nextAttemptAt: isoTime.nullable(),
              lastError: z.string().max(MAX_QUEUE_ERROR_LENGTH).nullable(),
            }),
          )
          .max(MAX_QUEUE_LIST_RECIPIENTS),
      }),
    )
    .max(MAX_QUEUE_LIST_ENTRIES),
});
export type QueueListResult = z.infer<typeof queueListResultSchema>;

/** retry / delete / bounce: which of the named messages were acted on, and which were not in the queue. */
export const queueActionResultSchema = z.strictObject({
  done: z.array(queueMessageIdSchema).max(MAX_COMMAND_IDS),
  missing: z.array(queueMessageIdSchema).max(MAX_COMMAND_IDS),
});
export type QueueActionResult = z.infer<typeof queueActionResultSchema>;

export const queueResetResultSchema = z.strictObject({
  /** Messages whose retry schedule started over. */
  count: z.number().int().nonnegative(),
});
export type QueueResetResult = z.infer<typeof queueResetResultSchema>;

export const abuseListResultSchema = z.strictObject({
  blocks: z.array(abuseBlockSchema).max(MAX_ABUSE_BLOCKS),
});
export type AbuseListResult = z.infer<typeof abuseListResultSchema>;

/** abuse.lift: which blocks were lifted, and which were no longer in force. */
export const abuseLiftResultSchema = z.strictObject({
  done: z.array(abuseBlockIdSchema).max(MAX_ABUSE_LIFT_IDS),
  missing: z.array(abuseBlockIdSchema).max(MAX_ABUSE_LIFT_IDS),
});
export type AbuseLiftResult = z.infer<typeof abuseLiftResultSchema>;

/** The result an agent must send for each command type (checked by the hub before it is stored). */
export const commandResultSchemas = {
  "queue.list": queueListResultSchema,
  "queue.retry": queueActionResultSchema,
  "queue.resetRetries": queueResetResultSchema,
  "queue.delete": queueActionResultSchema,
  "queue.bounce": queueActionResultSchema,
  "abuse.list": abuseListResultSchema,
  "abuse.lift": abuseLiftResultSchema,
} as const satisfies Record<HubCommandType, z.ZodType>;

export type CommandResult<T extends HubCommandType> = z.infer<(typeof commandResultSchemas)[T]>;
