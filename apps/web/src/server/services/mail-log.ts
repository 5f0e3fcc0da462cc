// Reading the mail log (issue 13): search with filters and keyset pages, a live tail, a message's trace
// across servers, a server's gap records and a domain's recent mail. "MailLogRecord" is a day-partitioned
// table kept out of schema.prisma, so it is read with plain SQL; every query is scoped by
// `scope.mailLog` (../access.ts) and kept to shapes its indexes serve: one selective column (recipient,
// sender, client IP, queue id, Message-ID, domain, server, tenant) plus "at" for order and pruning.
import { Prisma, type Db } from "@mailwarden/db";
import type { MailLogRecord } from "@mailwarden/protocol";
import { assertCan, scope, type Actor } from "../access";
import { AppError } from "../errors";
import type { MailLogFilter } from "~/lib/schemas/mail-log";

interface Row {
  serverId: string;
  seq: bigint;
  at: Date;
  tenantId: string;
  domainId: string | null;
  type: string;
  outcome: string | null;
  direction: string | null;
  rule: string | null;
  queueId: string | null;
  messageId: string | null;
  session: string | null;
  record: MailLogRecord;
}

/** One record as the console shows it: where and when, the facts searched on, and the record itself. */
export interface MailLogItem {
  /** Unique per record: "serverId:seq". */
  key: string;
  at: Date;
  serverId: string;
  serverName: string;
  tenantId: string;
  domainId: string | null;
  domainName: string | null;
  seq: number;
  type: MailLogRecord["type"];
  outcome: string | null;
  direction: string | null;
  rule: string | null;
  queueId: string | null;
  messageId: string | null;
  record: MailLogRecord;
}

const columns = Prisma.sql`"serverId", seq, at, "tenantId", "domainId", type, outcome, direction, rule,
  "queueId", "messageId", session, record`;
const newestFirst = Prisma.sql`ORDER BY at DESC, "serverId" DESC, seq DESC`;

/** The Message-ID as stored (with angle brackets) and as people paste it (without). */
function messageIdForms(value: string): string[] {
  const bare = value.replace(/^<|>$/g, "");
  return [...new Set([value, bare, `<${bare}>`])];
}

/** The filters as SQL conditions (ANDed with the actor's scope by the caller). */
function filterConditions(filter: MailLogFilter): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (filter.from) where.push(Prisma.sql`at >= ${filter.from}`);
  if (filter.to) where.push(Prisma.sql`at <= ${filter.to}`);
  if (filter.serverId) where.push(Prisma.sql`"serverId" = ${filter.serverId}`);
  if (filter.domainId) where.push(Prisma.sql`"domainId" = ${filter.domainId}`);
  if (filter.mailDirection) where.push(Prisma.sql`direction = ${filter.mailDirection}`);
  if (filter.outcome) where.push(Prisma.sql`outcome = ${filter.outcome}`);
  if (filter.sender) where.push(Prisma.sql`sender = ${filter.sender}`);
  if (filter.recipient) where.push(Prisma.sql`recipients @> ARRAY[${filter.recipient}]::text[]`);
  if (filter.clientIp) where.push(Prisma.sql`"clientIp" = ${filter.clientIp}`);
  if (filter.rule) where.push(Prisma.sql`rule = ${filter.rule}`);
  if (filter.message) {
    where.push(
      Prisma.sql`("queueId" = ${filter.message} OR "messageId" = ANY(${messageIdForms(filter.message)}::text[]))`,
    );
  }
  return where;
}

function whereOf(actor: Actor, conditions: Prisma.Sql[]): Prisma.Sql {
  return Prisma.sql`WHERE ${Prisma.join([scope.mailLog(actor), ...conditions], " AND ")}`;
}

/** Server and domain names for the rows' ids (rows are already scoped, so their names may be shown). */
async function withNames(prisma: Db, rows: Row[]): Promise<MailLogItem[]> {
  const serverIds = [...new Set(rows.map((r) => r.serverId))];
  const domainIds = [...new Set(rows.flatMap((r) => (r.domainId ? [r.domainId] : [])))];
  const [servers, domains] = await Promise.all([
    serverIds.length
      ? prisma.server.findMany({ where: { id: { in: serverIds } }, select: { id: true, name: true } })
      : [],
    domainIds.length
      ? prisma.domain.findMany({ where: { id: { in: domainIds } }, select: { id: true, name: true } })
      : [],
  ]);
  const serverName = new Map(servers.map((s) => [s.id, s.name]));
  const domainName = new Map(domains.map((d) => [d.id, d.name]));
  return rows.map((r) => ({
    key: `${r.serverId}:${r.seq}`,
    at: r.at,
    serverId: r.serverId,
    serverName: serverName.get(r.serverId) ?? "a deleted server",
    tenantId: r.tenantId,
    domainId: r.domainId,
    domainName: r.domainId ? (domainName.get(r.domainId) ?? null) : null,
    seq: Number(r.seq),
    type: r.record.type,
    outcome: r.outcome,
    direction: r.direction,
    rule: r.rule,
    queueId: r.queueId,
    messageId: r.messageId,
    record: r.record,
  }));
}

// --- Keyset pages -------------------------------------------------------------------------------------

interface Cursor {
  at: Date;
  serverId: string;
  seq: bigint;
}

function encodeCursor(row: { at: Date; serverId: string; seq: bigint | number }): string {
  return Buffer.from(JSON.stringify([row.at.toISOString(), row.serverId, String(row.seq)])).toString(
    "base64url",
  );
}

function decodeCursor(value: string): Cursor {
  try {
    const [at, serverId, seq] = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown[];
    if (typeof at !== "string" || typeof serverId !== "string" || typeof seq !== "string") throw new Error();
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || !/^\d{1,19}$/.test(seq)) throw new Error();
    return { at: date, serverId, seq: BigInt(seq) };
  } catch {
    throw new AppError("BAD_REQUEST", "That page of results is no longer valid. Search again.");
  }
}

/**
 * One page of records matching `filter`, newest first, as SQL (exported so a test can check its plan).
 * The cursor is the last row's (at, serverId, seq): rows at the same millisecond are ordered by server
 * and sequence, so no row is skipped or repeated across pages, and a page costs the same however deep it
 * is (no OFFSET).
 */
export function searchSql(
  actor: Actor,
  filter: MailLogFilter,
  options: { cursor?: string; limit: number },
): Prisma.Sql {
  const conditions = filterConditions(filter);
  if (options.cursor) {
    const c = decodeCursor(options.cursor);
    // "at <= …" alone is what an index and partition pruning can use; the row comparison breaks ties.
    conditions.push(
      Prisma.sql`at <= ${c.at}`,
      Prisma.sql`(at, "serverId", seq) < (${c.at}::timestamptz, ${c.serverId}, ${c.seq}::bigint)`,
    );
  }
  return Prisma.sql`SELECT ${columns} FROM "MailLogRecord" ${whereOf(actor, conditions)} ${newestFirst}
    LIMIT ${options.limit + 1}`;
}

async function searchPage(
  prisma: Db,
  actor: Actor,
  filter: MailLogFilter,
  options: { cursor?: string; limit: number },
) {
  const rows = await prisma.$queryRaw<Row[]>(searchSql(actor, filter, options));
  const hasMore = rows.length > options.limit;
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: hasMore && last ? encodeCursor(last) : null };
}

export async function searchMailLog(
  prisma: Db,
  actor: Actor,
  input: MailLogFilter & { cursor?: string; limit: number },
) {
  assertCan(actor, "logs.read");
  const { cursor, limit, ...filter } = input;
  const page = await searchPage(prisma, actor, filter, { cursor, limit });
  return { items: await withNames(prisma, page.rows), nextCursor: page.nextCursor };
}

/** Each page of the whole filtered set, newest first, for the export: no cap, one page in memory. */
export async function* mailLogPages(
  prisma: Db,
  actor: Actor,
  filter: MailLogFilter,
  pageSize = 1000,
): AsyncGenerator<MailLogItem[]> {
  assertCan(actor, "logs.read");
  let cursor: string | undefined;
  for (;;) {
    const page = await searchPage(prisma, actor, filter, { cursor, limit: pageSize });
    if (page.rows.length) yield await withNames(prisma, page.rows);
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** How far back the tail looks before the newest record shown: agents ship in batches, a little late. */
export const TAIL_LAG_MS = 2 * 60_000;
const TAIL_LIMIT = 200;

/**
 * The live tail: records matching `filter` from shortly before `since` (the newest the page shows) on,
 * newest first. The page polls this every few seconds and merges by key — plain polling of an indexed
 * query is the simplest thing that survives reconnects, several console processes and proxies; a record
 * shipped later than the lag (an agent back from a long outage) shows in the next search instead.
 */
export async function tailMailLog(prisma: Db, actor: Actor, input: MailLogFilter & { since: Date }) {
  assertCan(actor, "logs.read");
  const { since, ...filter } = input;
  const conditions = [
    ...filterConditions(filter),
    Prisma.sql`at > ${new Date(since.getTime() - TAIL_LAG_MS)}`,
  ];
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT ${columns} FROM "MailLogRecord" ${whereOf(actor, conditions)} ${newestFirst}
    LIMIT ${TAIL_LIMIT + 1}`;
  return {
    items: await withNames(prisma, rows.slice(0, TAIL_LIMIT)),
    /** More arrived than one poll returns: the page starts over from the newest. */
    isTruncated: rows.length > TAIL_LIMIT,
  };
}

// --- Message trace ------------------------------------------------------------------------------------

const TRACE_LIMIT = 1000;
/** How long before its acceptance a message's SMTP session may have started. */
const SESSION_WINDOW_MS = 24 * 3600_000;

/**
 * Every record of one message, oldest first: found by Message-ID and/or queue id, then widened by the
 * Message-IDs and queue ids those records name — so a backup MX or gateway that forwarded it (same
 * Message-ID, its own queue id) and deliveries without a Message-ID join — and by the SMTP session that
 * handed it over (connection, TLS, login, MAIL, RCPT of that transaction). Each step is scoped.
 */
export async function traceMessage(
  prisma: Db,
  actor: Actor,
  input: { messageId?: string; queueId?: string; serverId?: string },
) {
  assertCan(actor, "logs.read");
  const found = new Map<string, Row>();
  const add = (rows: Row[]) => rows.forEach((r) => found.set(`${r.serverId}:${r.seq}`, r));
  const select = (conditions: Prisma.Sql[]) =>
    prisma.$queryRaw<Row[]>`
      SELECT ${columns} FROM "MailLogRecord" ${whereOf(actor, conditions)} ${newestFirst}
      LIMIT ${TRACE_LIMIT}`;

  const seen = { messageIds: new Set<string>(), queueIds: new Set<string>() };
  let messageIds = input.messageId ? messageIdForms(input.messageId) : [];
  let queueIds = input.queueId ? [input.queueId] : [];
  // The queue id a user asked about belongs to one server when they said which.
  const firstServer = input.serverId;
  for (let round = 0; round < 3 && (messageIds.length || queueIds.length); round++) {
    messageIds.forEach((id) => seen.messageIds.add(id));
    queueIds.forEach((id) => seen.queueIds.add(id));
    const or: Prisma.Sql[] = [];
    if (messageIds.length) or.push(Prisma.sql`"messageId" = ANY(${messageIds}::text[])`);
    if (queueIds.length) {
      or.push(
        round === 0 && firstServer
          ? Prisma.sql`("queueId" = ANY(${queueIds}::text[]) AND "serverId" = ${firstServer})`
          : Prisma.sql`"queueId" = ANY(${queueIds}::text[])`,
      );
    }
    add(await select([Prisma.sql`(${Prisma.join(or, " OR ")})`]));
    const rows = [...found.values()];
    messageIds = [...new Set(rows.flatMap((r) => (r.messageId ? [r.messageId] : [])))].filter(
      (id) => !seen.messageIds.has(id),
    );
    // A DSN names the message's queue id and its own: follow the message's, not the notice's.
    queueIds = [...new Set(rows.flatMap((r) => (r.queueId ? [r.queueId] : [])))].filter(
      (id) => !seen.queueIds.has(id),
    );
  }

  // The transaction that handed each copy over: its session's records up to the acceptance.
  const handovers = [...found.values()]
    .filter((r) => (r.type === "message.accepted" || r.type === "message.refused") && r.session)
    .slice(0, 10);
  for (const handover of handovers) {
    const sessionRows = await select([
      Prisma.sql`"serverId" = ${handover.serverId}`,
      Prisma.sql`session = ${handover.session}`,
      Prisma.sql`at <= ${handover.at}`,
      Prisma.sql`at >= ${new Date(handover.at.getTime() - SESSION_WINDOW_MS)}`,
    ]);
    add(transactionOf(sessionRows, handover));
  }

  const rows = [...found.values()].sort(
    (x, y) =>
      x.at.getTime() - y.at.getTime() || x.serverId.localeCompare(y.serverId) || Number(x.seq - y.seq),
  );
  if (!rows.length) throw new AppError("NOT_FOUND", "No records of that message.");
  const items = await withNames(prisma, rows);
  const accepted = items.find((i) => i.type === "message.accepted");
  const anyWithId = items.find((i) => i.messageId);
  return {
    messageId: anyWithId?.messageId ?? input.messageId ?? null,
    queueIds: [...new Set(items.flatMap((i) => (i.queueId ? [i.queueId] : [])))],
    servers: [...new Set(items.map((i) => i.serverName))],
    sender: accepted && "from" in accepted.record ? accepted.record.from : null,
    items,
  };
}

/**
 * The records of the session's transaction that ended in `handover`: the session's own records
 * (connection, TLS, login) and MAIL/RCPT after the previous message of the same session.
 */
function transactionOf(sessionRows: Row[], handover: Row): Row[] {
  const ordered = [...sessionRows].sort((x, y) => Number(x.seq - y.seq));
  const before = ordered.filter((r) => r.seq < handover.seq);
  const previousEnd = before
    .filter((r) => r.type === "message.accepted" || r.type === "message.refused")
    .map((r) => r.seq)
    .pop();
  return before.filter((r) => {
    if (r.type === "mail.from" || r.type === "rcpt.to")
      return previousEnd === undefined || r.seq > previousEnd;
    return r.type === "connection.opened" || r.type === "tls.established" || r.type.startsWith("auth.");
  });
}

// --- A server's gaps, a domain's recent mail ------------------------------------------------------------

/**
 * The gap records of one server: "log records missing between t1 and t2". t1 and t2 are the times of
 * the records on either side of the lost sequence range, when they are still kept.
 */
export async function serverLogGaps(prisma: Db, actor: Actor, serverId: string) {
  assertCan(actor, "logs.read");
  const server = await prisma.server.findFirst({
    where: { AND: [{ id: serverId }, scope.server(actor, "server.read")] },
    select: { id: true },
  });
  if (!server) throw new AppError("NOT_FOUND", "Server not found.");
  const gaps = await prisma.$queryRaw<Row[]>`
    SELECT ${columns} FROM "MailLogRecord"
    ${whereOf(actor, [Prisma.sql`"serverId" = ${serverId}`, Prisma.sql`type = 'gap'`])} ${newestFirst}
    LIMIT 10`;
  return Promise.all(
    gaps.map(async (gap) => {
      const record = gap.record as Extract<MailLogRecord, { type: "gap" }>;
      const neighbours = await prisma.$queryRaw<{ seq: bigint; at: Date }[]>`
        SELECT seq, at FROM "MailLogRecord"
        WHERE "serverId" = ${serverId} AND seq = ANY(${[record.fromSeq - 1, record.toSeq + 1]}::bigint[])`;
      const atSeq = (seq: number) => neighbours.find((n) => Number(n.seq) === seq)?.at ?? null;
      return {
        key: `${gap.serverId}:${gap.seq}`,
        reportedAt: gap.at,
        /** The last record kept before the loss (null once it is past retention). */
        from: atSeq(record.fromSeq - 1),
        /** The first record kept after it, else the gap record itself. */
        to: atSeq(record.toSeq + 1) ?? gap.at,
        lost: record.toSeq - record.fromSeq + 1,
        reason: record.reason,
      };
    }),
  );
}

const RECENT_DAYS = 7;

/** A domain's last refusals (rejected, deferred, bounced) and deliveries, from the last week. */
export async function domainRecentMail(prisma: Db, actor: Actor, domainId: string) {
  assertCan(actor, "logs.read");
  const domain = await prisma.domain.findFirst({
    where: { AND: [{ id: domainId }, scope.domain(actor, "domain.read")] },
    select: { id: true },
  });
  if (!domain) throw new AppError("NOT_FOUND", "Domain not found.");
  const since = new Date(Date.now() - RECENT_DAYS * 86_400_000);
  const recent = (condition: Prisma.Sql) => prisma.$queryRaw<Row[]>`
    SELECT ${columns} FROM "MailLogRecord"
    ${whereOf(actor, [Prisma.sql`"domainId" = ${domainId}`, Prisma.sql`at >= ${since}`, condition])}
    ${newestFirst} LIMIT 10`;
  const [refusals, deliveries] = await Promise.all([
    recent(Prisma.sql`outcome IN ('rejected', 'deferred', 'bounced')`),
    recent(Prisma.sql`type = 'delivery' AND outcome = 'delivered'`),
  ]);
  return {
    days: RECENT_DAYS,
    refusals: await withNames(prisma, refusals),
    deliveries: await withNames(prisma, deliveries),
  };
}

/** What the Logs page's form offers and whether there is anything to search at all. */
export async function mailLogOptions(prisma: Db, actor: Actor) {
  assertCan(actor, "logs.read");
  const [servers, domains, enrolled] = await Promise.all([
    prisma.server.findMany({
      where: scope.server(actor, "server.read"),
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    }),
    prisma.domain.findMany({
      where: scope.domain(actor, "logs.read"),
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    }),
    // Whether any agent could have sent records to this actor: a server of one of their customers that
    // has enrolled (provider staff: any server).
    prisma.server.count({
      where: {
        AND: [
          actor.providerRole ? {} : { tenantId: { in: actor.memberships.map((m) => m.tenantId) } },
          { status: { in: ["ONLINE", "OFFLINE"] } },
        ],
      },
    }),
  ]);
  return { servers, domains, hasEnrolledServers: enrolled > 0 };
}
