// The mail log's spool (issue 13): records are appended to segment files in <state>/mail-log before the
// reply they describe is sent, numbered 1, 2, 3… per agent, and kept until the hub acknowledges them.
// It is built like the queue journal (journal.ts), but tuned for a log nobody waits on for durability:
// - every record appended in one event-loop turn goes out in one write, and record() resolves when that
//   write has finished — the SMTP reply waits for a page-cache write, not a disk flush, which is enough
//   for a kill -9; an fdatasync follows at most `syncIntervalMs` (1 s) later, for a power cut;
// - only records covered by an fdatasync are handed to the shipper, so a number the hub has seen can
//   never be handed out again after a power cut (the hub would take the new record for a duplicate);
// - the acknowledged watermark is kept in acked.json (atomic write) before acknowledged segments are
//   deleted, so an emptied spool still continues from the right number;
// - it never blocks or fails mail: when full, the oldest segments go and a `gap` record names the
//   numbers lost ("spool-full"); a write that fails drops its records and a `gap` ("write-failed") says
//   so once writing works again. Numbers found missing at start with no gap naming them (the agent died
//   before it could write one) get a "write-failed" gap then.
//
// Record framing (like the journal): u32 payload length, u32 CRC-32 of the payload, then the payload —
// the record's JSON, always starting with {"seq":N, so a reader finds the number without parsing the rest.
// Replay reads the segments in order and stops a segment at its first incomplete or damaged record.
import { open, readdir, readFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { Logger } from "pino";
import type { LogLevel } from "@mailwarden/policy";
import {
  isSuccessRecord,
  logLevelSettingOf,
  mailLogRecordSchema,
  type MailLogEvent,
  type MailLogRecord,
} from "@mailwarden/protocol";
import { z } from "zod";
import { DirectorySync, unlinkIfPresent, writeAll } from "../queue/durable-files";
import { mkdirDurable, writeFileAtomic } from "../state/atomic-write";
import type { MailLog } from "./mail-log";

const HEADER_BYTES = 8;
const SEGMENT_NAME = /^(\d{10})\.spool$/;
const WATERMARK_FILE = "acked.json";
const SEQ_PREFIX = /^\{"seq":(\d{1,16}),/;
/** A record bigger than this is refused (the largest valid one — 1000 recipients — is about 330 KB). */
export const MAX_SPOOL_RECORD_BYTES = 512 * 1024;
/** Default spool size (setting mailLogSpoolBytes). */
export const DEFAULT_MAIL_LOG_SPOOL_BYTES = 256 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The record schema without `seq`: events are checked as components hand them over, before they have a
 * number (half the cost of adding one and parsing a record: this runs before SMTP replies).
 */
const mailLogEventSchema = z.discriminatedUnion(
  "type",
  (mailLogRecordSchema.options as readonly z.ZodObject[]).map((option) =>
    option.omit({ seq: true }),
  ) as unknown as typeof mailLogRecordSchema.options,
);

function withoutSeq(event: MailLogEvent): object {
  const { seq: _seq, ...rest } = event as MailLogEvent & { seq?: unknown };
  return rest;
}

/** Row 23's two settings, read at every record so a policy change applies at once. */
export interface MailLogLevels {
  smtpLogLevel: LogLevel;
  deliveryLogLevel: LogLevel;
}

export interface MailLogSpoolOptions {
  /** The spool's folder, <stateDir>/mail-log (see mailLogDir). */
  dir: string;
  logger: Logger;
  /** Most bytes the segments may hold together (setting mailLogSpoolBytes). */
  maxBytes?: number;
  /** A new segment starts once the newest holds this many bytes (default: an eighth of maxBytes, ≤ 16 MiB). */
  segmentBytes?: number;
  /** Longest time between a write and the fdatasync that covers it. */
  syncIntervalMs?: number;
  /**
   * A write (or a full spool's clean-up) still running after this long no longer holds replies: its
   * records, and those recorded meanwhile, resolve at once and are written when the disk answers.
   */
  writePatienceMs?: number;
  /** While a write hangs, records beyond this many bytes waiting for it are dropped (and become a gap). */
  maxWaitingBytes?: number;
  /** Row 23 levels of the applied config; without it everything is recorded. */
  levels?: () => MailLogLevels;
  /** Writes a batch (tests inject failures here: disk full, EIO). */
  write?: (handle: FileHandle, pieces: readonly Uint8Array[], position: number) => Promise<void>;
}

export interface MailLogSpoolStats {
  /** Records written (gap records included). */
  records: number;
  /** Writes made for them (fewer than records: one per event-loop turn). */
  writes: number;
  /** fdatasyncs of segments. */
  syncs: number;
  /** Events row 23 leaves out. */
  filtered: number;
  /** Events refused as invalid or too large (a bug in the component that recorded them). */
  invalid: number;
  /** Gap records written. */
  gaps: number;
}

/** One record read for shipping: its number and its JSON, as stored. */
export interface SpooledRecord {
  seq: number;
  json: Buffer;
}

interface Segment {
  id: number;
  file: string;
  handle: FileHandle | null;
  /** Bytes of valid records (where the next append goes, for the newest). */
  size: number;
  /** Bytes covered by an fdatasync: what may be shipped. */
  syncedSize: number;
  firstSeq: number;
  lastSeq: number;
  /** A write failed here (its tail is unknown) or it is from an earlier run: never appended to. */
  closedForAppends: boolean;
  /** The gap records in it: dropped unacknowledged, they are written again so no range goes unnamed. */
  gaps: (GapRange & { seq: number })[];
  /** From an earlier run: its records are checked against the schema before they are shipped. */
  fromEarlierRun: boolean;
  dropped: boolean;
}

interface Pending {
  /** The record's JSON without its number, from the second character on (after the "{"). */
  tail: string;
  resolve: () => void;
}

interface SeqRange {
  fromSeq: number;
  toSeq: number;
}

interface GapRange extends SeqRange {
  reason: "spool-full" | "write-failed";
}

/** Where the spool lives in an agent's state directory. */
export function mailLogDir(stateDir: string): string {
  return path.join(stateDir, "mail-log");
}

export class MailLogSpool implements MailLog {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #syncIntervalMs: number;
  readonly #writePatienceMs: number;
  /** A write has outlasted #writePatienceMs: records resolve without waiting for it. */
  #isStalled = false;
  readonly #maxWaitingBytes: number;
  #pendingBytes = 0;
  /** Records dropped while a write hung, before they had a number: they get numbers and a gap. */
  #droppedWhileStalled = 0;
  readonly #levels: (() => MailLogLevels) | null;
  readonly #write: NonNullable<MailLogSpoolOptions["write"]>;
  readonly #sync = new DirectorySync();
  readonly #segments: Segment[] = [];
  readonly #onSynced = new Set<() => void>();
  #nextSeq = 1;
  #ackedSeq = 0;
  #persistedAckedSeq = 0;
  #pending: Pending[] = [];
  #flushScheduled = false;
  #flushing: Promise<void> | null = null;
  #syncTimer: NodeJS.Timeout | null = null;
  #syncing: Promise<void> | null = null;
  #persisting: Promise<void> | null = null;
  /** Numbers whose records a failed write dropped, not yet named by a gap record. */
  #lostToFailedWrites: SeqRange | null = null;
  /** Numbers found missing at start, not named by any gap record. */
  #missingAtStart: SeqRange[] = [];
  #readHint: { segment: Segment; offset: number; afterSeq: number } | null = null;
  #closed = false;
  readonly stats: MailLogSpoolStats = { records: 0, writes: 0, syncs: 0, filtered: 0, invalid: 0, gaps: 0 };

  private constructor(options: MailLogSpoolOptions) {
    this.#dir = options.dir;
    this.#logger = options.logger;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAIL_LOG_SPOOL_BYTES;
    this.#segmentBytes =
      options.segmentBytes ?? Math.min(16 * 1024 * 1024, Math.max(64 * 1024, Math.floor(this.#maxBytes / 8)));
    this.#syncIntervalMs = options.syncIntervalMs ?? 1000;
    this.#writePatienceMs = options.writePatienceMs ?? 2000;
    this.#maxWaitingBytes = options.maxWaitingBytes ?? 16 * 1024 * 1024;
    this.#levels = options.levels ?? null;
    this.#write = options.write ?? writeAll;
  }

  /** Replays the spool's segments and readies it for appends. */
  static async open(options: MailLogSpoolOptions): Promise<MailLogSpool> {
    const spool = new MailLogSpool(options);
    await spool.#open();
    return spool;
  }

  /** The highest number acknowledged by the hub. */
  get ackedSeq(): number {
    return this.#ackedSeq;
  }

  /** The number the next record gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Bytes the segments hold. */
  get bytes(): number {
    return this.#segments.reduce((sum, segment) => sum + segment.size, 0);
  }

  /** Segment files on disk (for tests and diagnostics). */
  get segmentCount(): number {
    return this.#segments.length;
  }

  /** Calls `listener` whenever records become shippable (an fdatasync covered them). */
  onSynced(listener: () => void): () => void {
    this.#onSynced.add(listener);
    return () => this.#onSynced.delete(listener);
  }

  record(event: MailLogEvent): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (!this.#isRecorded(event)) {
      this.stats.filtered += 1;
      return Promise.resolve();
    }
    // checked here, once, so that the shipper never sends a batch the hub would refuse
    const parsed = mailLogEventSchema.safeParse(event);
    if (!parsed.success) {
      this.stats.invalid += 1;
      const issue = parsed.error.issues[0];
      this.#logger.error(
        { type: event.type, field: issue?.path.join("."), problem: issue?.message },
        "mail log record refused: it does not match the record schema",
      );
      return Promise.resolve();
    }
    // the event as given (the hub ignores keys the schema does not know, as zod does here); its JSON is
    // stored after {"seq":N, — so a stray seq of its own must go first
    let tail: string;
    try {
      tail = JSON.stringify("seq" in event ? withoutSeq(event) : event).slice(1);
    } catch {
      tail = "";
    }
    if (tail === "" || Buffer.byteLength(tail) + 32 > MAX_SPOOL_RECORD_BYTES) {
      this.stats.invalid += 1;
      this.#logger.error({ type: event.type }, "mail log record refused: too large or not JSON");
      return Promise.resolve();
    }
    if (this.#isStalled && this.#pendingBytes >= this.#maxWaitingBytes) {
      this.#droppedWhileStalled += 1;
      return Promise.resolve();
    }
    this.#pendingBytes += tail.length;
    return new Promise<void>((resolve) => {
      this.#pending.push({ tail, resolve });
      this.#scheduleFlush();
      if (this.#isStalled) resolve();
    });
  }

  #isRecorded(event: MailLogEvent): boolean {
    const setting = logLevelSettingOf(event.type);
    if (setting === null || this.#levels === null) return true;
    const level = this.#levels()[setting];
    if (level === "off") return false;
    if (level === "normal") return !isSuccessRecord(event);
    return true;
  }

  /**
   * Records after `afterSeq`, in order, up to `maxRecords` and `maxBytes` of JSON (at least one record),
   * only those an fdatasync covered and the hub has not acknowledged. Empty when there are none yet.
   */
  async readAfter(afterSeq: number, maxRecords: number, maxBytes: number): Promise<SpooledRecord[]> {
    const out: SpooledRecord[] = [];
    let bytes = 0;
    let isFull = false;
    let after = Math.max(afterSeq, this.#ackedSeq);
    const hint = this.#readHint;
    let startIndex: number;
    let offset = 0;
    if (hint && hint.afterSeq === after && !hint.segment.dropped) {
      startIndex = this.#segments.indexOf(hint.segment);
      offset = hint.offset;
    } else {
      startIndex = this.#segments.findIndex((segment) => segment.lastSeq > after);
    }
    if (startIndex < 0) return out;
    for (let i = startIndex; i < this.#segments.length; i += 1) {
      const segment = this.#segments[i]!;
      if (i !== startIndex) offset = 0;
      while (offset < segment.syncedSize && !isFull) {
        let chunk: Buffer;
        try {
          chunk = await this.#readChunk(segment, offset);
        } catch (error) {
          if (segment.dropped) break; // deleted while we read (spool full): go on with the next
          throw error;
        }
        let at = 0;
        while (at + HEADER_BYTES <= chunk.length && !isFull) {
          const length = chunk.readUInt32LE(at);
          if (at + HEADER_BYTES + length > chunk.length) break;
          // the byte budget holds for the batch as a whole (one record alone always fits)
          if (out.length > 0 && bytes + length > maxBytes) {
            isFull = true;
            break;
          }
          const payload = chunk.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
          if (crc32(payload) !== chunk.readUInt32LE(at + 4)) {
            this.#logger.error(
              { file: segment.file, offset: offset + at },
              "mail log spool damaged; rest of segment skipped",
            );
            at = segment.syncedSize - offset;
            break;
          }
          at += HEADER_BYTES + length;
          const seq = seqOf(payload);
          if (seq === null || seq <= after) continue;
          if (segment.fromEarlierRun && !isValidRecord(payload)) {
            this.#logger.warn({ seq }, "mail log record from an earlier run no longer valid; not shipped");
            after = seq;
            continue;
          }
          out.push({ seq, json: Buffer.from(payload) });
          bytes += length + 1;
          after = seq;
          isFull = out.length >= maxRecords || bytes >= maxBytes;
        }
        offset += at;
        if (at === 0) break; // full, or nothing decodable here (not with records ≤ the chunk size)
      }
      this.#readHint = { segment, offset, afterSeq: after };
      if (isFull) break;
      // a segment not yet fully synced: later segments must wait, to keep the order
      if (segment.syncedSize < segment.size || offset < segment.syncedSize) break;
    }
    return out;
  }

  async #readChunk(segment: Segment, offset: number): Promise<Buffer> {
    segment.handle ??= await open(segment.file, "r");
    const length = Math.min(READ_CHUNK_BYTES, segment.syncedSize - offset);
    const chunk = Buffer.allocUnsafe(length);
    const { bytesRead } = await segment.handle.read(chunk, 0, length, offset);
    return chunk.subarray(0, bytesRead);
  }

  /**
   * The hub stored every record up to `seq`: they may go. The watermark is made durable first, then
   * segments holding only acknowledged records are deleted (the newest stays until it is full).
   */
  acknowledge(seq: number): void {
    if (seq <= this.#ackedSeq) return;
    this.#ackedSeq = Math.min(seq, this.#nextSeq - 1);
    this.#persisting ??= this.#persistWatermark().finally(() => {
      this.#persisting = null;
    });
  }

  async #persistWatermark(): Promise<void> {
    while (this.#persistedAckedSeq < this.#ackedSeq) {
      const value = this.#ackedSeq;
      try {
        await writeFileAtomic(
          path.join(this.#dir, WATERMARK_FILE),
          JSON.stringify({ ackedSeq: value }) + "\n",
          {
            mode: 0o600,
          },
        );
      } catch (error) {
        this.#logger.error({ err: error }, "mail log: could not save the acknowledged position");
        return;
      }
      this.#persistedAckedSeq = value;
      const newest = this.#segments.at(-1);
      // the newest segment is kept for appends, unless it is all acknowledged and big enough that starting
      // a new one (a file created before some record's reply) is worth it
      const isNewestDone =
        newest !== undefined &&
        newest.lastSeq > 0 &&
        newest.lastSeq <= value &&
        newest.lastSeq === this.#nextSeq - 1 &&
        newest.size >= Math.min(this.#segmentBytes / 4, 1024 * 1024) &&
        this.#flushing === null;
      if (isNewestDone) newest.closedForAppends = true;
      const done = this.#segments.filter(
        (segment) => (segment !== newest || isNewestDone) && segment.lastSeq <= value && !segment.dropped,
      );
      await this.#deleteSegments(done).catch((error: unknown) =>
        this.#logger.error({ err: error }, "mail log: could not delete acknowledged segments"),
      );
    }
  }

  async #deleteSegments(segments: Segment[]): Promise<void> {
    if (segments.length === 0) return;
    for (const segment of segments) {
      segment.dropped = true;
      const index = this.#segments.indexOf(segment);
      if (index >= 0) this.#segments.splice(index, 1);
      await segment.handle?.close().catch(() => undefined);
      segment.handle = null;
      await unlinkIfPresent(segment.file);
    }
    await this.#sync.sync(this.#dir);
  }

  /** Writes what is pending, makes it durable, and closes the files. Records after this are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#flushScheduled) await this.#startFlush();
    while (this.#flushing) await this.#flushing;
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = null;
    while (this.#syncing) await this.#syncing;
    await this.#syncNow();
    while (this.#persisting) await this.#persisting;
    for (const segment of this.#segments) {
      await segment.handle?.close().catch(() => undefined);
      segment.handle = null;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing) return;
    this.#flushScheduled = true;
    // one write for everything recorded in this turn of the event loop
    setImmediate(() => {
      if (this.#flushScheduled) void this.#startFlush();
    });
  }

  #startFlush(): Promise<void> {
    this.#flushScheduled = false;
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = null;
      if (this.#pending.length > 0) this.#scheduleFlush();
    });
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#gapsToWrite().length > 0 || this.#droppedWhileStalled > 0) {
      const batch = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      // a disk that hangs must not hang mail with it
      const patience = setTimeout(() => {
        this.#isStalled = true;
        this.#logger.warn(
          { waitedMs: this.#writePatienceMs },
          "mail log spool write is slow; not waiting for it",
        );
        for (const item of [...batch, ...this.#pending]) item.resolve();
      }, this.#writePatienceMs);
      patience.unref();
      try {
        const written = await this.#writeBatch(batch);
        for (const item of batch) item.resolve();
        // after a failure the disk gets a rest: the next record or the sync tick tries again
        if (!written) break;
        if (written.drops.length > 0) {
          // the gap record must survive a power cut before the records it names are deleted
          await this.#syncNow();
          await this.#deleteSegments(written.drops).catch((error: unknown) =>
            this.#logger.error({ err: error }, "mail log: could not delete a full spool's oldest segments"),
          );
        }
      } finally {
        clearTimeout(patience);
        this.#isStalled = false;
      }
    }
  }

  #gapsToWrite(): GapRange[] {
    const gaps = this.#missingAtStart.map((range) => ({ ...range, reason: "write-failed" as const }));
    if (this.#lostToFailedWrites) gaps.push({ ...this.#lostToFailedWrites, reason: "write-failed" });
    return gaps;
  }

  /**
   * Never throws: a failure drops the batch, remembers its numbers for a gap record and returns null.
   * Written, it returns the segments a full spool must now delete (once the gap record is durable).
   */
  async #writeBatch(batch: Pending[]): Promise<{ drops: Segment[] } | null> {
    const firstSeq = this.#nextSeq;
    // numbers: the records, then those dropped while a write hung (lost), then the gap records — a gap
    // that cannot be written gives its number back
    const dropped = this.#droppedWhileStalled;
    this.#droppedWhileStalled = 0;
    const recordsEnd = firstSeq + batch.length + dropped;
    let segment: Segment;
    try {
      segment = await this.#appendSegment();
    } catch (error) {
      this.#nextSeq = recordsEnd;
      this.#failed(firstSeq, error);
      return null;
    }
    const at = new Date().toISOString();
    const tails = batch.map((item) => item.tail);
    const gaps = this.#gapsToWrite();
    if (dropped > 0)
      gaps.push({ fromSeq: recordsEnd - dropped, toSeq: recordsEnd - 1, reason: "write-failed" });
    for (const gap of gaps) tails.push(gapTail(at, gap));
    // full: the oldest segments go, and a gap record says which numbers went with them
    const incoming = tails.reduce((sum, tail) => sum + tail.length + 32, 0);
    const drops = this.#segmentsToDrop(incoming + 256);
    const lost = this.#lostWith(drops);
    const newGaps: GapRange[] = [...gaps];
    if (lost) {
      // gap records going with the segments are said again, then the range the segments held
      for (const segment of drops) {
        for (const gap of segment.gaps) {
          if (gap.seq > this.#ackedSeq)
            newGaps.push({ fromSeq: gap.fromSeq, toSeq: gap.toSeq, reason: gap.reason });
        }
      }
      newGaps.push({ ...lost, reason: "spool-full" });
    }
    for (const gap of newGaps.slice(gaps.length)) tails.push(gapTail(at, gap));
    const pieces: Buffer[] = [];
    let length = 0;
    const seqOfTail = (i: number) => (i < batch.length ? firstSeq + i : recordsEnd + i - batch.length);
    tails.forEach((tail, i) => {
      const payload = Buffer.from(`{"seq":${seqOfTail(i)},${tail}`, "utf8");
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32LE(payload.length, 0);
      header.writeUInt32LE(crc32(payload), 4);
      pieces.push(header, payload);
      length += HEADER_BYTES + payload.length;
    });
    this.#nextSeq = seqOfTail(tails.length);
    try {
      await this.#write(segment.handle!, pieces, segment.size);
    } catch (error) {
      // a torn tail would only be skipped at replay; cut it, or never append to this segment again
      await segment.handle!.truncate(segment.size).catch(() => {
        segment.closedForAppends = true;
      });
      this.#nextSeq = recordsEnd;
      this.#failed(firstSeq, error);
      return null;
    }
    if (segment.firstSeq === 0) segment.firstSeq = batch.length > 0 ? firstSeq : recordsEnd;
    newGaps.forEach((gap, i) => segment.gaps.push({ ...gap, seq: recordsEnd + i }));
    segment.lastSeq = this.#nextSeq - 1;
    segment.size += length;
    this.stats.records += tails.length;
    this.stats.writes += 1;
    this.stats.gaps += newGaps.length;
    this.#missingAtStart = [];
    this.#lostToFailedWrites = null;
    if (drops.length > 0) this.#logger.warn(lost ?? {}, "mail log spool full: oldest records dropped");
    this.#armSyncTimer();
    return { drops };
  }

  #failed(firstSeq: number, error: unknown): void {
    const toSeq = this.#nextSeq - 1;
    const previous = this.#lostToFailedWrites;
    if (toSeq >= firstSeq) this.#lostToFailedWrites = { fromSeq: previous?.fromSeq ?? firstSeq, toSeq };
    this.#logger.error(
      { err: error, lost: this.#lostToFailedWrites },
      "mail log spool write failed; records dropped (mail goes on)",
    );
    this.#armSyncTimer();
  }

  /** The segment appends go to, started when there is none, it is full or a write failed in it. */
  async #appendSegment(): Promise<Segment> {
    const newest = this.#segments.at(-1);
    if (newest && !newest.closedForAppends && newest.size < this.#segmentBytes) return newest;
    const id = Math.max(newest?.id ?? 0, this.#highestIdSeen) + 1;
    const file = path.join(this.#dir, `${String(id).padStart(10, "0")}.spool`);
    const handle = await open(file, "wx+", 0o600);
    this.#highestIdSeen = id;
    try {
      await this.#sync.sync(this.#dir);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlinkIfPresent(file).catch(() => undefined);
      throw error;
    }
    const segment: Segment = {
      id,
      file,
      handle,
      size: 0,
      syncedSize: 0,
      firstSeq: 0,
      lastSeq: 0,
      closedForAppends: false,
      gaps: [],
      fromEarlierRun: false,
      dropped: false,
    };
    this.#segments.push(segment);
    return segment;
  }

  #highestIdSeen = 0;

  /** The oldest segments (never the newest) to delete so that `incoming` more bytes fit. */
  #segmentsToDrop(incoming: number): Segment[] {
    let total = this.bytes + incoming;
    const drops: Segment[] = [];
    for (const segment of this.#segments.slice(0, -1)) {
      if (total <= this.#maxBytes) break;
      drops.push(segment);
      total -= segment.size;
    }
    return drops;
  }

  /** The numbers not yet acknowledged in `segments`. */
  #lostWith(segments: Segment[]): SeqRange | null {
    let fromSeq = Infinity;
    let toSeq = 0;
    for (const segment of segments) {
      const first = Math.max(segment.firstSeq, this.#ackedSeq + 1);
      if (segment.lastSeq === 0 || first > segment.lastSeq) continue;
      fromSeq = Math.min(fromSeq, first);
      toSeq = Math.max(toSeq, segment.lastSeq);
    }
    return toSeq > 0 ? { fromSeq, toSeq } : null;
  }

  #armSyncTimer(): void {
    if (this.#syncTimer || this.#closed) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = null;
      void this.#syncNow();
      // a failed write's gap waits for the disk; try again now
      if (this.#lostToFailedWrites && this.#pending.length === 0) this.#scheduleFlush();
    }, this.#syncIntervalMs);
    this.#syncTimer.unref();
  }

  /** Makes everything written so far durable and shippable now, without waiting for the sync tick. */
  sync(): Promise<void> {
    return this.#syncNow();
  }

  /** fdatasyncs every segment with unsynced bytes; resolves once they are shippable. */
  async #syncNow(): Promise<void> {
    while (this.#syncing) await this.#syncing;
    const targets = this.#segments
      .filter((segment) => segment.syncedSize < segment.size && segment.handle)
      .map((segment) => ({ segment, size: segment.size }));
    if (targets.length === 0) return;
    this.#syncing = (async () => {
      for (const { segment, size } of targets) {
        try {
          await segment.handle!.datasync();
          this.stats.syncs += 1;
          segment.syncedSize = Math.max(segment.syncedSize, size);
        } catch (error) {
          if (segment.dropped) continue;
          this.#logger.error(
            { err: error, file: segment.file },
            "mail log spool fdatasync failed; trying again",
          );
          this.#armSyncTimer();
        }
      }
    })().finally(() => {
      this.#syncing = null;
    });
    await this.#syncing;
    for (const listener of this.#onSynced) listener();
  }

  async #open(): Promise<void> {
    await mkdirDurable(this.#dir, 0o700);
    const names = await readdir(this.#dir);
    // temp files of a watermark write a crash interrupted
    for (const name of names) {
      if (name.startsWith(`.${WATERMARK_FILE}.`) && name.endsWith(".tmp"))
        await unlinkIfPresent(path.join(this.#dir, name));
    }
    this.#ackedSeq = this.#persistedAckedSeq = await readWatermark(
      path.join(this.#dir, WATERMARK_FILE),
      this.#logger,
    );
    const found = names
      .map((name) => SEGMENT_NAME.exec(name))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ id: Number(match[1]), file: path.join(this.#dir, match[0]) }))
      .sort((a, b) => a.id - b.id);
    let expected = this.#ackedSeq + 1;
    // without a saved watermark (nothing acknowledged yet, or the file was lost), numbers before the first
    // record found are not called lost: the hub most likely has them
    let isExpectedKnown = this.#ackedSeq > 0;
    const holes: SeqRange[] = [];
    const named: SeqRange[] = [];
    for (const { id, file } of found) {
      this.#highestIdSeen = id;
      const segment: Segment = {
        id,
        file,
        handle: null,
        size: 0,
        syncedSize: 0,
        firstSeq: 0,
        lastSeq: 0,
        closedForAppends: true,
        gaps: [],
        fromEarlierRun: true,
        dropped: false,
      };
      try {
        segment.handle = await open(file, "r");
        const damagedAt = await replaySegment(segment, (seq, payload) => {
          if (seq < expected) return; // acknowledged (or out of order: never shipped)
          if (seq > expected && isExpectedKnown) holes.push({ fromSeq: expected, toSeq: seq - 1 });
          isExpectedKnown = true;
          expected = seq + 1;
          if (segment.firstSeq === 0) segment.firstSeq = seq;
          segment.lastSeq = seq;
          const gap = gapOf(payload);
          if (gap) {
            named.push(gap);
            segment.gaps.push({ ...gap, seq });
          }
        });
        if (damagedAt !== null && found.at(-1)?.id !== id) {
          this.#logger.warn({ file, offset: damagedAt }, "mail log spool damaged; rest of segment skipped");
        }
        // what a killed process left in the page cache is made durable before it is shipped
        await segment.handle.datasync();
        segment.syncedSize = segment.size;
        this.#segments.push(segment);
      } catch (error) {
        // an unreadable segment never stops the agent (nor its mail): its numbers get a gap
        this.#logger.error({ err: error, file }, "mail log spool segment unreadable; skipped");
        await segment.handle?.close().catch(() => undefined);
        if (segment.firstSeq > 0) holes.push({ fromSeq: segment.firstSeq, toSeq: expected - 1 });
      }
    }
    this.#nextSeq = expected;
    this.#missingAtStart = subtractRanges(holes, named);
    await this.#deleteSegments(this.#segments.filter((segment) => segment.lastSeq <= this.#ackedSeq));
    if (this.#missingAtStart.length > 0) {
      this.#logger.warn(
        { missing: this.#missingAtStart },
        "mail log: numbers missing from the spool; recording a gap",
      );
      await this.#startFlush();
    }
  }
}

function gapTail(at: string, gap: GapRange): string {
  return JSON.stringify({
    at,
    type: "gap",
    fromSeq: gap.fromSeq,
    toSeq: gap.toSeq,
    reason: gap.reason,
  }).slice(1);
}

function seqOf(payload: Buffer): number | null {
  const match = SEQ_PREFIX.exec(payload.toString("latin1", 0, 26));
  return match ? Number(match[1]) : null;
}

function gapOf(payload: Buffer): GapRange | null {
  if (!payload.includes('"type":"gap"')) return null;
  try {
    const record = JSON.parse(payload.toString("utf8")) as MailLogRecord;
    return record.type === "gap"
      ? { fromSeq: record.fromSeq, toSeq: record.toSeq, reason: record.reason }
      : null;
  } catch {
    return null;
  }
}

function isValidRecord(payload: Buffer): boolean {
  try {
    return mailLogRecordSchema.safeParse(JSON.parse(payload.toString("utf8"))).success;
  } catch {
    return false;
  }
}

/** `holes` without the numbers `named` covers. */
function subtractRanges(holes: SeqRange[], named: SeqRange[]): SeqRange[] {
  let left = holes;
  for (const cut of named) {
    left = left.flatMap((range) => {
      if (cut.toSeq < range.fromSeq || cut.fromSeq > range.toSeq) return [range];
      const parts: SeqRange[] = [];
      if (cut.fromSeq > range.fromSeq) parts.push({ fromSeq: range.fromSeq, toSeq: cut.fromSeq - 1 });
      if (cut.toSeq < range.toSeq) parts.push({ fromSeq: cut.toSeq + 1, toSeq: range.toSeq });
      return parts;
    });
  }
  return left;
}

async function readWatermark(file: string, logger: Logger): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  try {
    const value = (JSON.parse(text) as { ackedSeq?: unknown }).ackedSeq;
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  } catch {
    // reported below
  }
  // written atomically, so this takes a damaged disk; resending is harmless (the hub stores each once)
  logger.error({ file }, "mail log: acknowledged position unreadable; everything in the spool is sent again");
  return 0;
}

/** Reads a segment's records in order; returns where it stopped at a torn or damaged record, if it did. */
async function replaySegment(
  segment: Segment,
  onRecord: (seq: number, payload: Buffer) => void,
): Promise<number | null> {
  const handle = segment.handle!;
  const { size: fileSize } = await handle.stat();
  let offset = 0;
  let chunk = Buffer.alloc(0);
  let chunkStart = 0;
  const bytesAt = async (at: number, length: number): Promise<Buffer | null> => {
    if (at + length > fileSize) return null;
    if (at < chunkStart || at + length > chunkStart + chunk.length) {
      chunkStart = at;
      chunk = Buffer.alloc(Math.min(fileSize - at, Math.max(READ_CHUNK_BYTES, length)));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
      chunk = chunk.subarray(0, bytesRead);
      if (bytesRead < length) return null;
    }
    return chunk.subarray(at - chunkStart, at - chunkStart + length);
  };
  while (offset < fileSize) {
    const header = await bytesAt(offset, HEADER_BYTES);
    if (!header) return offset;
    const length = header.readUInt32LE(0);
    const crc = header.readUInt32LE(4);
    if (length < 10 || length > MAX_SPOOL_RECORD_BYTES) return offset;
    const payload = await bytesAt(offset + HEADER_BYTES, length);
    if (!payload || crc32(payload) !== crc) return offset;
    const seq = seqOf(payload);
    if (seq === null) return offset;
    onRecord(seq, payload);
    offset += HEADER_BYTES + length;
    segment.size = offset;
  }
  return null;
}
