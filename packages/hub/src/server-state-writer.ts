// What the hub records about its agents — online at hello, last seen, the revision each one holds, their
// posture reports, offline at close — written in batches: one transaction per flush, a few set-based
// statements whatever the number of agents, and never more than one flush at a time (so it needs no
// place in the hub's database queue and cannot starve the pool). A flush that fails stays queued and is
// tried again, so an ack or an offline mark is delayed by a database fault, never lost. Status rows are
// guarded by the connection that holds the agent (Server.connectionId): a write from an older
// connection, on any hub process, changes nothing.
import type { Logger } from "pino";
import { ActorType, AuditEventType, writeAudits, type AuditEntry, type Db, type Tx } from "@mailwarden/db";
import type { Posture } from "@mailwarden/protocol";
import { newSuspensionAudits, type PostureChange } from "./abuse-alerts";

/** Who an entry is about: one authenticated connection of one agent. */
export interface ConnectionIdentity {
  serverId: string;
  tenantId: string;
  connectionId: string;
  ip: string;
  /** How the agent is named in audit events. */
  actorLabel: string;
  /** Still the agent's live session in this process (a closed one's last-seen writes are dropped). */
  isLive(): boolean;
}

export interface OnlineEntry {
  identity: ConnectionIdentity;
  hostname: string;
  agentVersion: string;
  /** The revision the agent says it holds at hello: recorded as applied if it moves the row forward. */
  heldRevision: number | null;
}

/** "online": recorded; "refused": revoked or deleted since the credential check. */
export type OnlineResult = "online" | "refused";
/** "lost": the row no longer names this connection (revoked, deleted, taken over or swept offline). */
export type SeenResult = "seen" | "lost";

interface Pending<E, R> {
  entry: E;
  resolve(result: R): void;
}

interface OfflineEntry {
  identity: ConnectionIdentity;
  description: string;
}

interface AppliedEntry {
  identity: ConnectionIdentity;
  revision: number;
}

interface PostureEntry {
  identity: ConnectionIdentity;
  posture: Posture;
}

export interface ServerStateWriterOptions {
  prisma: Db;
  logger: Logger;
  /** How long a hello, ack or offline mark may wait for company before it is written (default 100 ms). */
  flushMs?: number;
  /** The same for last-seen writes and posture reports, which nobody waits for (default 1 s). */
  lazyFlushMs?: number;
}

/** Rows per statement; Postgres takes at most 65,535 parameters and createMany uses 11 per audit row. */
const MAX_BATCH = 2000;

/** Failed flushes in a row after which the batch is tried without its posture reports. */
const POSTURE_GIVE_UP_AFTER = 3;

export class ServerStateWriter {
  private online: Pending<OnlineEntry, OnlineResult>[] = [];
  private seenQueue: Pending<ConnectionIdentity, SeenResult>[] = [];
  private appliedQueue: Pending<AppliedEntry, void>[] = [];
  private offlineQueue: Pending<OfflineEntry, void>[] = [];
  private postureQueue: Pending<PostureEntry, void>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failures = 0;
  private timerDueAt = 0;
  /** When the oldest last-seen or posture entry waiting was queued (0: none waiting). */
  private lazySince = 0;
  private readonly flushMs: number;
  private readonly lazyFlushMs: number;

  constructor(private readonly options: ServerStateWriterOptions) {
    this.flushMs = options.flushMs ?? 100;
    this.lazyFlushMs = options.lazyFlushMs ?? 1000;
  }

  /** Entries waiting to be written (the health report shows it). */
  get backlog(): number {
    return (
      this.online.length +
      this.seenQueue.length +
      this.appliedQueue.length +
      this.offlineQueue.length +
      this.postureQueue.length
    );
  }

  markOnline(entry: OnlineEntry): Promise<OnlineResult> {
    return new Promise((resolve) => this.enqueue(this.online, { entry, resolve }, true));
  }

  markSeen(identity: ConnectionIdentity): Promise<SeenResult> {
    return new Promise((resolve) => this.enqueue(this.seenQueue, { entry: identity, resolve }, false));
  }

  /** Resolves once the row shows `revision` (or newer) as applied, or cannot (not asked for). */
  markApplied(identity: ConnectionIdentity, revision: number): Promise<void> {
    return new Promise((resolve) =>
      this.enqueue(this.appliedQueue, { entry: { identity, revision }, resolve }, true),
    );
  }

  /** Stores the agent's posture report (the newest of a batch wins) and audits new suspensions in it. */
  markPosture(identity: ConnectionIdentity, posture: Posture): Promise<void> {
    return new Promise((resolve) =>
      this.enqueue(this.postureQueue, { entry: { identity, posture }, resolve }, false),
    );
  }

  markOffline(identity: ConnectionIdentity, description: string): Promise<void> {
    return new Promise((resolve) =>
      this.enqueue(this.offlineQueue, { entry: { identity, description }, resolve }, true),
    );
  }

  /** Writes everything queued, retrying until it is written. */
  async drain(): Promise<void> {
    while (this.backlog > 0 || this.flushing) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      await (this.flushing ?? this.flush());
    }
  }

  private get urgentBacklog(): number {
    return this.online.length + this.appliedQueue.length + this.offlineQueue.length;
  }

  private enqueue<E, R>(queue: Pending<E, R>[], item: Pending<E, R>, isUrgent: boolean): void {
    queue.push(item);
    if (!isUrgent && this.lazySince === 0) this.lazySince = Date.now();
    this.schedule(isUrgent ? this.flushMs : this.lazyFlushMs);
  }

  /** Flushes within `delayMs`, sooner if already planned sooner; never while a flush runs. */
  private schedule(delayMs: number): void {
    if (this.flushing) return;
    const dueAt = Date.now() + delayMs;
    if (this.timer && this.timerDueAt <= dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delayMs);
  }

  private flush(): Promise<void> {
    const run = this.writeBatch().finally(() => {
      this.flushing = null;
      if (this.backlog === 0) return;
      if (this.failures > 0) {
        // After a failure, back off (capped at 5 s) so a database outage is not hammered.
        this.schedule(Math.min(5000, 100 * 2 ** this.failures));
      } else if (this.urgentBacklog > 0) {
        this.schedule(this.flushMs);
      } else {
        this.schedule(Math.max(0, this.lazySince + this.lazyFlushMs - Date.now()));
      }
    });
    this.flushing = run;
    return run;
  }

  private async writeBatch(): Promise<void> {
    // Hellos, acks and offline marks go first; last-seen writes and postures (nobody waits on them) ride
    // along once they have waited their interval, so a storm of the first never starves the second.
    const isLazyDue = this.lazySince !== 0 && Date.now() - this.lazySince >= this.lazyFlushMs;
    const lazyTake = isLazyDue || this.urgentBacklog === 0 ? MAX_BATCH : 0;
    const online = this.online.splice(0, MAX_BATCH);
    const seen = this.seenQueue.splice(0, lazyTake).filter((item) => {
      if (item.entry.isLive()) return true;
      item.resolve("seen"); // the session ended: its offline mark (queued) says the rest
      return false;
    });
    const applied = this.appliedQueue.splice(0, MAX_BATCH);
    let postures = this.postureQueue.splice(0, lazyTake);
    if (lazyTake > 0) this.lazySince = this.seenQueue.length + this.postureQueue.length > 0 ? Date.now() : 0;
    if (this.failures >= POSTURE_GIVE_UP_AFTER && postures.length > 0) {
      // A report Postgres cannot store (a NUL in a string, say) must not hold up everyone's acks and
      // offline marks; postures are snapshots the agents send again every few heartbeats.
      this.options.logger.error(
        { dropped: postures.length },
        "dropping agents' posture reports that could not be stored",
      );
      for (const item of postures) item.resolve();
      postures = [];
    }
    const offline = this.offlineQueue.splice(0, MAX_BATCH);
    const count = online.length + seen.length + applied.length + postures.length + offline.length;
    if (count === 0) return;
    let results: BatchResults;
    try {
      results = await this.options.prisma.$transaction(
        (tx) =>
          writeStates(tx, {
            online: online.map((i) => i.entry),
            seen: seen.map((i) => i.entry),
            applied: applied.map((i) => i.entry),
            postures: postures.map((i) => i.entry),
            offline: offline.map((i) => i.entry),
          }),
        { maxWait: 10_000, timeout: 60_000 },
      );
    } catch (error) {
      this.failures++;
      this.options.logger.error(
        { err: error, entries: count },
        "could not record agents' state; keeping it queued",
      );
      // Back at the front, in their order: nothing is lost, and an offline mark stays after its hello.
      this.online.unshift(...online);
      this.seenQueue.unshift(...seen);
      this.appliedQueue.unshift(...applied);
      this.postureQueue.unshift(...postures);
      if (seen.length + postures.length > 0) this.lazySince ||= Date.now();
      this.offlineQueue.unshift(...offline);
      return;
    }
    this.failures = 0;
    for (const item of online) {
      item.resolve(results.online.has(item.entry.identity.connectionId) ? "online" : "refused");
    }
    for (const item of seen) item.resolve(results.seen.has(item.entry.connectionId) ? "seen" : "lost");
    for (const item of applied) item.resolve();
    for (const item of postures) item.resolve();
    for (const item of offline) item.resolve();
  }
}

interface BatchResults {
  /** Connection ids whose hello was recorded. */
  online: Set<string>;
  /** Connection ids whose last-seen was recorded. */
  seen: Set<string>;
}

function auditBase(identity: ConnectionIdentity): Omit<AuditEntry, "type" | "summary"> {
  return {
    actorType: ActorType.AGENT,
    actorLabel: identity.actorLabel,
    tenantId: identity.tenantId,
    targetType: "Server",
    targetId: identity.serverId,
    ip: identity.ip,
  };
}

/** The last entry per server wins within one batch (an UPDATE … FROM matches each row once). */
function lastPerServer<E>(entries: E[], serverOf: (entry: E) => string): E[] {
  return [...new Map(entries.map((entry) => [serverOf(entry), entry])).values()];
}

async function writeStates(
  tx: Tx,
  {
    online,
    seen,
    applied,
    postures,
    offline,
  }: {
    online: OnlineEntry[];
    seen: ConnectionIdentity[];
    applied: AppliedEntry[];
    postures: PostureEntry[];
    offline: OfflineEntry[];
  },
): Promise<BatchResults> {
  const results: BatchResults = { online: new Set(), seen: new Set() };
  const audits: AuditEntry[] = [];

  const hellos = lastPerServer(online, (e) => e.identity.serverId);
  // An older hello of the same server in this batch was replaced by the newer one: nothing to write.
  for (const e of online) if (!hellos.includes(e)) results.online.add(e.identity.connectionId);
  if (hellos.length > 0) {
    // A revocation committed since the credential check must not be overwritten.
    const rows = await tx.$queryRawUnsafe<{ connectionId: string }[]>(
      `UPDATE "Server" AS s
          SET "status" = 'ONLINE', "connectionId" = v.conn, "lastSeenAt" = (now() AT TIME ZONE 'UTC'),
              "hostname" = v.hostname, "agentVersion" = v.version,
              "appliedRevision" = CASE
                WHEN v.held IS NOT NULL AND v.held <= s."desiredRevision"
                 AND (s."appliedRevision" IS NULL OR s."appliedRevision" < v.held) THEN v.held
                ELSE s."appliedRevision" END
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) AS v(id, conn, hostname, version, held)
        WHERE s."id" = v.id AND s."status" <> 'REVOKED'
          AND EXISTS (SELECT 1 FROM "AgentCredential" c WHERE c."serverId" = s."id" AND c."revokedAt" IS NULL)
      RETURNING v.conn AS "connectionId"`,
      hellos.map((e) => e.identity.serverId),
      hellos.map((e) => e.identity.connectionId),
      hellos.map((e) => e.hostname),
      hellos.map((e) => e.agentVersion),
      hellos.map((e) => e.heldRevision),
    );
    for (const row of rows) results.online.add(row.connectionId);
    for (const e of hellos) {
      if (!results.online.has(e.identity.connectionId)) continue;
      audits.push({
        ...auditBase(e.identity),
        type: AuditEventType.AGENT_CONNECTED,
        summary: `Agent connected from ${e.identity.ip} (${e.hostname}, agent ${e.agentVersion})`,
        after: { hostname: e.hostname, agentVersion: e.agentVersion, appliedRevision: e.heldRevision },
      });
    }
  }

  const beats = lastPerServer(seen, (e) => e.serverId);
  if (beats.length > 0) {
    // Also heals a status another hub's sweep may have flipped while this connection was alive.
    const rows = await tx.$queryRawUnsafe<{ connectionId: string }[]>(
      `UPDATE "Server" AS s SET "lastSeenAt" = (now() AT TIME ZONE 'UTC'), "status" = 'ONLINE'
         FROM unnest($1::text[], $2::text[]) AS v(id, conn)
        WHERE s."id" = v.id AND s."connectionId" = v.conn AND s."status" <> 'REVOKED'
      RETURNING v.conn AS "connectionId"`,
      beats.map((e) => e.serverId),
      beats.map((e) => e.connectionId),
    );
    for (const row of rows) results.seen.add(row.connectionId);
  }

  if (applied.length > 0) {
    const newest = new Map<string, AppliedEntry>();
    for (const e of applied) {
      const known = newest.get(e.identity.serverId);
      if (!known || known.revision < e.revision) newest.set(e.identity.serverId, e);
    }
    const acks = [...newest.values()];
    // Acks arrive late or twice: appliedRevision only moves forward, and never past what was asked.
    const rows = await tx.$queryRawUnsafe<{ id: string; revision: number }[]>(
      `UPDATE "Server" AS s SET "appliedRevision" = v.rev
         FROM unnest($1::text[], $2::int[]) AS v(id, rev)
        WHERE s."id" = v.id AND s."desiredRevision" >= v.rev
          AND (s."appliedRevision" IS NULL OR s."appliedRevision" < v.rev)
      RETURNING s."id", v.rev AS "revision"`,
      acks.map((e) => e.identity.serverId),
      acks.map((e) => e.revision),
    );
    const recorded = new Set(rows.map((row) => row.id));
    for (const e of acks) {
      if (!recorded.has(e.identity.serverId)) continue;
      audits.push({
        ...auditBase(e.identity),
        type: AuditEventType.POLICY_APPLIED,
        // Revision numbers are bookkeeping (kept in `after`); the summary is what an admin reads.
        summary: "Server applied the latest configuration",
        after: { appliedRevision: e.revision },
      });
    }
  }

  const reports = lastPerServer(postures, (e) => e.identity.serverId);
  if (reports.length > 0) {
    const ids = reports.map((e) => e.identity.serverId);
    // Locked, so the previous reports compared for new suspensions are the ones replaced.
    const previous = await tx.$queryRawUnsafe<{ id: string; posture: unknown }[]>(
      `SELECT "id", "posture" FROM "Server" WHERE "id" = ANY($1::text[]) FOR UPDATE`,
      ids,
    );
    const previousOf = new Map(previous.map((row) => [row.id, row.posture]));
    await tx.$executeRawUnsafe(
      `UPDATE "Server" AS s SET "posture" = v.posture, "postureAt" = (now() AT TIME ZONE 'UTC')
         FROM jsonb_to_recordset($1::jsonb) AS v(id text, posture jsonb)
        WHERE s."id" = v.id`,
      JSON.stringify(reports.map((e) => ({ id: e.identity.serverId, posture: e.posture }))),
    );
    const changes: PostureChange[] = reports.map((e) => ({
      previous: previousOf.get(e.identity.serverId),
      posture: e.posture,
      base: auditBase(e.identity),
    }));
    audits.push(...(await newSuspensionAudits(tx, changes)));
  }

  if (offline.length > 0) {
    // Only the connection the row names: a reconnection elsewhere (or here) stays ONLINE.
    await tx.$executeRawUnsafe(
      `UPDATE "Server" AS s SET "status" = 'OFFLINE', "connectionId" = NULL
         FROM unnest($1::text[], $2::text[]) AS v(id, conn)
        WHERE s."id" = v.id AND s."connectionId" = v.conn AND s."status" = 'ONLINE'`,
      offline.map((e) => e.identity.serverId),
      offline.map((e) => e.identity.connectionId),
    );
    for (const e of offline) {
      audits.push({
        ...auditBase(e.identity),
        type: AuditEventType.AGENT_DISCONNECTED,
        summary: `Agent disconnected: ${e.description}`,
      });
    }
  }

  await writeAudits(tx, audits);
  return results;
}
