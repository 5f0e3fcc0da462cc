// Storing one `agent.logs` batch (issue 13) atomically: every record goes in with ONE statement (the rows
// travel as a single JSON parameter through json_to_recordset — json, not jsonb, so Postgres parses the
// batch once as it reads it instead of first building a jsonb tree of all of it), ON CONFLICT DO NOTHING
// on (server, sequence, time) — so a batch stored twice, or two batches that overlap, leave each record
// once. The hub acknowledges a batch only after this has returned, i.e. after the commit. In the common
// case that one statement is the whole transaction (one round trip); a batch that needs a new day's
// partition, or carries records from a clock far ahead, runs in an explicit transaction that creates the
// partitions first (./partitions).
//
// What is stamped at ingest, for scoping and search without reading the JSON: the server's tenant; the
// Domain the record names, only if that domain belongs to the same tenant (another customer's domain
// named by an agent stays null); outcomeOf and recipientsOf from the protocol; addresses lower-cased.
//
// Time: a record is filed under the agent's own clock, with two exceptions, both counted as handled:
// - dated before the retention cut-off (an agent that was offline a long time): not stored, since its
//   day's partition is dropped or about to be; the ack still lets the agent delete it;
// - dated more than a day ahead of the hub (a wrong agent clock): filed at the hub's receive time, the
//   agent's time kept in `record`, rather than creating partitions for far-off days. These are checked
//   against the server's sequence numbers in every partition, so a resend does not store them twice
//   (unless the resend comes so late that the record is no longer a day ahead: it is then filed at its
//   own time — a duplicate that needs both a clock more than a day off and a lost ack).
import type { Db, Tx } from "../client";
import { outcomeOf, recipientsOf, type MailLogRecord } from "@mailwarden/protocol";
import { dayOf, ensurePartitions } from "./partitions";
import { logRetentionDays, mailLogKeepFrom } from "./retention";

export interface MailLogBatch {
  serverId: string;
  /** The server's tenant: every row is stamped with it, and only its domains are matched. */
  tenantId: string;
  /** Validated by mailLogRecordSchema (the hub's frame schema). */
  records: readonly MailLogRecord[];
}

export interface StoreMailLogOptions {
  /** The hub's receive time (tests pass a fake one). */
  now?: Date;
}

/** How far ahead of the hub a record's time may be before it is filed at the receive time instead. */
const MAX_CLOCK_AHEAD_MS = 86_400_000;
/** The advisory-lock class of "one server's clamped records" (the object is hashtext(serverId)). */
const SERVER_LOCK_CLASS = 0x4d4c_0002;

/** How long a process trusts the retention setting it read (a change takes effect within this). */
const RETENTION_CACHE_MS = 60_000;

/** Per client: the days whose partition this process saw committed, and the retention setting it read. */
interface ClientCache {
  days: Set<number>;
  retention?: { days: number; readAt: number };
}
const caches = new WeakMap<object, ClientCache>();

interface Row {
  seq: number;
  at: string;
  type: string;
  outcome: string | null;
  direction: string | null;
  sender: string | null;
  recipients: string[];
  clientIp: string | null;
  rule: string | null;
  queueId: string | null;
  messageId: string | null;
  session: string | null;
  domain: string | null;
  record: unknown;
}

/**
 * Stores a batch exactly once and returns how many of its records were new (a resent batch returns 0).
 * Records older than the retention cut-off are skipped, not counted, and not an error.
 */
export async function storeMailLogBatch(
  db: Db,
  batch: MailLogBatch,
  options: StoreMailLogOptions = {},
): Promise<number> {
  if (batch.records.length === 0) return 0;
  const now = options.now ?? new Date();
  const cache = caches.get(db) ?? { days: new Set<number>() };
  caches.set(db, cache);
  const keepFrom = mailLogKeepFrom(now, await retentionDaysOf(db, cache));
  const current: Row[] = [];
  const clamped: Row[] = [];
  for (const record of batch.records) {
    const at = new Date(record.at);
    if (at < keepFrom) continue;
    const isAhead = at.getTime() - now.getTime() > MAX_CLOCK_AHEAD_MS;
    (isAhead ? clamped : current).push(rowOf(record, isAhead ? now : at));
  }
  const days = [...new Set([...current, ...clamped].map((row) => dayOf(new Date(row.at)).getTime()))];
  const missing = days.filter((day) => !cache.days.has(day)).map((day) => new Date(day));
  let stored: number;
  try {
    if (missing.length === 0 && clamped.length === 0) {
      stored = await insertRows(db, batch, current, now, false);
    } else {
      stored = await db.$transaction(
        async (tx) => {
          await ensurePartitions(tx, missing);
          let count = await insertRows(tx, batch, current, now, false);
          if (clamped.length > 0) {
            // Serialized per server: two hubs storing the same resent record cannot both find it absent.
            await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SERVER_LOCK_CLASS}::int, hashtext(${batch.serverId}))`;
            count += await insertRows(tx, batch, clamped, now, true);
          }
          return count;
        },
        { maxWait: 10_000, timeout: 60_000 },
      );
    }
  } catch (error) {
    // A partition dropped behind this process's back (or a DDL rolled back) is looked at again next time.
    for (const day of days) cache.days.delete(day);
    cache.retention = undefined;
    throw error;
  }
  // Committed: every day of the batch has its partition.
  for (const day of days) cache.days.add(day);
  return stored;
}

async function retentionDaysOf(db: Db, cache: ClientCache): Promise<number> {
  const nowMs = Date.now();
  if (!cache.retention || nowMs - cache.retention.readAt > RETENTION_CACHE_MS) {
    cache.retention = { days: await logRetentionDays(db), readAt: nowMs };
  }
  return cache.retention.days;
}

async function insertRows(
  tx: Db | Tx,
  batch: MailLogBatch,
  rows: Row[],
  receivedAt: Date,
  isClamped: boolean,
): Promise<number> {
  if (rows.length === 0) return 0;
  // A record filed at the receive time has no stable (server, seq, at) key: look for its sequence
  // number in every partition instead.
  const onlyUnseen = isClamped
    ? `WHERE NOT EXISTS (SELECT 1 FROM "MailLogRecord" m WHERE m."serverId" = $1 AND m."seq" = v."seq")`
    : "";
  return tx.$executeRawUnsafe(
    `INSERT INTO "MailLogRecord" ("serverId", "seq", "at", "tenantId", "domainId", "type", "outcome",
                                  "direction", "sender", "recipients", "clientIp", "rule", "queueId",
                                  "messageId", "session", "record", "receivedAt")
     SELECT $1, v."seq", v."at", $2, d."id", v."type", v."outcome", v."direction", v."sender",
            COALESCE(v."recipients", '{}'), v."clientIp", v."rule", v."queueId", v."messageId", v."session",
            v."record", $3::timestamptz
       FROM json_to_recordset($4::json) AS v("seq" bigint, "at" timestamptz, "type" text, "outcome" text,
            "direction" text, "sender" text, "recipients" text[], "clientIp" text, "rule" text,
            "queueId" text, "messageId" text, "session" text, "domain" text, "record" jsonb)
       LEFT JOIN "Domain" d ON d."name" = v."domain" AND d."tenantId" = $2
     ${onlyUnseen}
     ON CONFLICT ("serverId", "seq", "at") DO NOTHING`,
    batch.serverId,
    batch.tenantId,
    receivedAt.toISOString(),
    storableJson(rows),
  );
}

function rowOf(record: MailLogRecord, at: Date): Row {
  const text = (key: string): string | null => {
    const value = (record as Record<string, unknown>)[key];
    return typeof value === "string" ? value : null;
  };
  const from = text("from");
  // An IP block is about a client address: a search by client IP finds it too.
  const clientIp =
    text("client") ?? (record.type === "abuse.blocked" && record.kind === "ip" ? record.subject : null);
  return {
    seq: record.seq,
    // Milliseconds, as the column keeps them: the partition chosen here is the one Postgres picks.
    at: at.toISOString(),
    type: record.type,
    outcome: outcomeOf(record),
    direction: text("direction"),
    sender: from === null ? null : from.toLowerCase(),
    recipients: recipientsOf(record).map((address) => address.toLowerCase()),
    clientIp,
    rule: text("rule"),
    queueId: text("queueId"),
    messageId: text("messageId"),
    session: text("session"),
    domain: record.domain ? record.domain.toLowerCase().replace(/\.$/, "") : null,
    record,
  };
}

/** What Postgres text and jsonb refuse: NUL, and UTF-16 surrogates that are not part of a pair. */
const unstorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The rows as one JSON parameter Postgres can hold: valid JSON from an agent may still carry what text
 * and jsonb refuse, and a batch that can never be stored would block the agent's log. JSON.stringify
 * writes NUL and lone surrogates as \u escapes, so the rare batch that needs cleaning is cheap to spot.
 */
function storableJson(rows: Row[]): string {
  const json = JSON.stringify(rows);
  if (!/\\u(0000|d[89a-f])/i.test(json)) return json;
  return JSON.stringify(rows, (_key, value: unknown) =>
    typeof value === "string" ? value.replace(unstorable, (c) => (c === "\u0000" ? "" : "\uFFFD")) : value,
  );
}
