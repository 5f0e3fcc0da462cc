// The queue's journal: an append-only log of records in segment files, with group commit. Every
// concurrent writer's record goes into one writev and one fdatasync, so a burst of 20 messages costs
// one flush instead of 20 files created, fsynced, renamed and unlinked (file creation alone cost about
// 1 ms of kernel time per file on the ext4 of our machines). A record is durable — and its promise
// resolves — only after the fdatasync that covers it has finished.
//
// Records (each: u32 payload length, u32 CRC-32 of the payload, then the payload):
//   "E" id json body   an entry (its metadata and its message); a later E for the same id replaces it
//   "M" id json        new metadata for an entry
//   "R" id             the entry is gone
// Replay reads the segments in order and stops a segment at its first incomplete or damaged record: a
// torn tail is a write whose fdatasync never finished, so nobody was told it was durable.
//
// Segments: appends go to the newest; past `segmentBytes` a new one starts. A segment whose entries
// are mostly gone has the living ones copied forward into the newest; empty segments are deleted oldest
// first (each deletion made durable before the next), so a removal recorded in a later segment can never
// be lost while the entry it removes survives in an earlier one. An oldest segment that is still mostly
// alive (mail for a domain that is down, retried for a day) would hold up the deletion of every segment
// behind it: once it is older than `compactAfterMs` and pins an empty one, its living entries are copied
// forward too (each entry at most once per `compactAfterMs`).
import { open, readdir, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { Logger } from "pino";
import { silentLogger } from "../log";
import { DirectorySync, writeAll } from "./durable-files";

const HEADER_BYTES = 8;
const SEGMENT_NAME = /^(\d{10})\.journal$/;

type RecordType = "E" | "M" | "R";

interface Segment {
  seq: number;
  file: string;
  handle: FileHandle | null;
  /** Bytes of valid records (where the next append goes, for the newest). */
  size: number;
  /** Entries whose message body is in this segment, and those bodies' bytes (kept as they change:
   * upkeep runs after every batch with a removal, so it must not add them up each time). */
  live: Set<string>;
  liveBytes: number;
  /** A write failed here: never append again (its tail is unknown). */
  broken: boolean;
  /** When this process started it (0 for segments found at open). */
  startedAt: number;
}

interface IndexEntry {
  json: string;
  segment: Segment;
  bodyOffset: number;
  bodyLength: number;
}

interface Pending {
  type: RecordType;
  id: string;
  json: string;
  body: Uint8Array | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface JournalStats {
  /** Records appended. */
  records: number;
  /** fdatasyncs made for them (fewer than records when concurrent appends shared one). */
  commits: number;
}

export interface JournalOptions {
  dir: string;
  logger: Logger;
  sync: DirectorySync;
  /** A new segment starts once the newest holds this many bytes. */
  segmentBytes?: number;
  /** An oldest segment this old that holds up an empty one has its entries copied forward. */
  compactAfterMs?: number;
}

export class Journal {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #sync: DirectorySync;
  readonly #segmentBytes: number;
  readonly #compactAfterMs: number;
  readonly #segments: Segment[] = [];
  readonly #index = new Map<string, IndexEntry>();
  #pending: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #maintaining: Promise<void> | null = null;
  #closed = false;
  readonly stats: JournalStats = { records: 0, commits: 0 };

  constructor(options: JournalOptions) {
    this.#dir = options.dir;
    this.#logger = options.logger;
    this.#sync = options.sync;
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.#compactAfterMs = options.compactAfterMs ?? 60 * 60 * 1000;
  }

  /** Replays the segments and starts a fresh one for appends. Returns each entry's latest metadata. */
  async open(): Promise<Map<string, string>> {
    await this.#replay();
    await this.#startSegment();
    this.#scheduleMaintenance();
    await this.#maintaining;
    return this.#latest();
  }

  /** Each entry's latest metadata as the files say, without writing anything (another process's queue). */
  async read(): Promise<Map<string, string>> {
    await this.#replay();
    return this.#latest();
  }

  async #replay(): Promise<void> {
    for (const segment of await listSegments(this.#dir)) {
      this.#segments.push(segment);
      const { damagedAt } = await replaySegment(segment, (record) => this.#apply(segment, record));
      if (damagedAt !== null && segment !== this.#segments.at(-1)) {
        this.#logger.warn({ file: segment.file, offset: damagedAt }, "queue journal damaged; rest skipped");
      }
    }
  }

  #latest(): Map<string, string> {
    return new Map([...this.#index].map(([id, entry]) => [id, entry.json]));
  }

  get size(): number {
    return this.#index.size;
  }

  has(id: string): boolean {
    return this.#index.has(id);
  }

  /** Segment files on disk (for tests and diagnostics). */
  get segmentCount(): number {
    return this.#segments.length;
  }

  /** Appends an entry; resolves once it is durable. */
  put(id: string, json: string, body: Uint8Array): Promise<void> {
    return this.#append("E", id, json, body);
  }

  /** Appends new metadata for an entry; resolves once it is durable. */
  update(id: string, json: string): Promise<void> {
    const entry = this.#index.get(id);
    if (entry) entry.json = json;
    return this.#append("M", id, json, null);
  }

  /** Records that an entry is gone; resolves once that is durable. */
  remove(id: string): Promise<void> {
    this.#forget(id);
    return this.#append("R", id, "", null);
  }

  async readBody(id: string): Promise<Buffer> {
    try {
      return await this.#readBodyOnce(id);
    } catch (error) {
      // compaction may have moved the entry and deleted its old segment during the read: read it again
      // from where it is now (a second failure is a real one)
      if (!this.#index.has(id)) throw error;
      return this.#readBodyOnce(id);
    }
  }

  async #readBodyOnce(id: string): Promise<Buffer> {
    const entry = this.#index.get(id);
    if (!entry) throw new Error(`no queue entry ${id}`);
    const handle = await this.#reader(entry.segment);
    const body = Buffer.alloc(entry.bodyLength);
    let done = 0;
    while (done < body.length) {
      const { bytesRead } = await handle.read(body, done, body.length - done, entry.bodyOffset + done);
      if (bytesRead === 0) throw new Error(`queue entry ${id} is cut short`);
      done += bytesRead;
    }
    return body;
  }

  /** Waits for appends in progress, then closes the files. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing || this.#maintaining) await (this.#flushing ?? this.#maintaining);
    for (const segment of this.#segments) {
      await segment.handle?.close().catch(() => undefined);
      segment.handle = null;
    }
  }

  #append(type: RecordType, id: string, json: string, body: Uint8Array | null): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the queue is closed"));
    if (!/^[0-9A-Z]{1,255}$/.test(id))
      return Promise.reject(new Error(`not a queue id: ${JSON.stringify(id)}`));
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ type, id, json, body, resolve, reject });
      this.#flushing ??= this.#flush().finally(() => {
        this.#flushing = null;
      });
    });
  }

  /** Writes whatever is pending, batch after batch: one writev and one fdatasync per batch. */
  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      let segment = this.#segments.at(-1)!;
      try {
        if (segment.broken || segment.size >= this.#segmentBytes) {
          await this.#startSegment();
          segment = this.#segments.at(-1)!;
          this.#scheduleMaintenance();
        }
      } catch (error) {
        for (const item of batch) item.reject(error as Error);
        continue;
      }
      const pieces: Uint8Array[] = [];
      const bodyOffsets: number[] = [];
      let position = segment.size;
      for (const item of batch) {
        const record = encode(item);
        bodyOffsets.push(position + record.bodyStart);
        pieces.push(...record.pieces);
        position += record.length;
      }
      try {
        await writeAll(segment.handle!, pieces, segment.size);
        await segment.handle!.datasync();
      } catch (error) {
        segment.broken = true;
        this.#logger.error({ file: segment.file, err: error }, "queue journal write failed");
        for (const item of batch) item.reject(error as Error);
        // a new entry that failed may still be complete on disk: record it as gone in the next segment
        // (not a compaction copy: that entry lives on in its old segment)
        for (const item of batch) {
          if (item.type === "E" && !this.#index.has(item.id)) {
            void this.#append("R", item.id, "", null).catch(() => {});
          }
        }
        continue;
      }
      segment.size = position;
      this.stats.records += batch.length;
      this.stats.commits += 1;
      batch.forEach((item, i) => {
        if (item.type === "E" && item.body)
          this.#place(item.id, item.json, segment, bodyOffsets[i]!, item.body.byteLength);
        item.resolve();
      });
      if (batch.some((item) => item.type === "R")) this.#scheduleMaintenance();
    }
  }

  /** A record read back at open. */
  #apply(segment: Segment, record: DecodedRecord): void {
    if (record.type === "E")
      this.#place(record.id, record.json, segment, record.bodyOffset, record.bodyLength);
    else if (record.type === "M") {
      const entry = this.#index.get(record.id);
      if (entry) entry.json = record.json;
    } else this.#forget(record.id);
  }

  #place(id: string, json: string, segment: Segment, bodyOffset: number, bodyLength: number): void {
    const previous = this.#index.get(id);
    if (previous) dropLive(id, previous);
    // a copy made by compaction carries the metadata of its time; a newer update in memory wins
    this.#index.set(id, { json: previous?.json ?? json, segment, bodyOffset, bodyLength });
    segment.live.add(id);
    segment.liveBytes += bodyLength;
  }

  #forget(id: string): void {
    const entry = this.#index.get(id);
    if (!entry) return;
    dropLive(id, entry);
    this.#index.delete(id);
  }

  async #startSegment(): Promise<void> {
    const seq = (this.#segments.at(-1)?.seq ?? 0) + 1;
    const file = path.join(this.#dir, `${String(seq).padStart(10, "0")}.journal`);
    const handle = await open(file, "wx+", 0o600);
    // the new file's name must survive a crash before anything acknowledged is written into it
    await this.#sync.sync(this.#dir);
    this.#segments.push({
      seq,
      file,
      handle,
      size: 0,
      live: new Set(),
      liveBytes: 0,
      broken: false,
      startedAt: Date.now(),
    });
  }

  #scheduleMaintenance(): void {
    if (this.#closed) return;
    this.#maintaining ??= this.#maintain()
      .catch((error: unknown) => this.#logger.error({ err: error }, "queue journal upkeep failed"))
      .finally(() => {
        this.#maintaining = null;
      });
  }

  /**
   * Copies living entries out of mostly-empty old segments (and out of an old oldest one that holds up
   * an empty one), then deletes empty ones, oldest first.
   */
  async #maintain(): Promise<void> {
    const newest = this.#segments.at(-1)!;
    const older = this.#segments.slice(0, -1);
    const oldest = older[0];
    const oldestHoldsUp =
      oldest !== undefined &&
      Date.now() - oldest.startedAt >= this.#compactAfterMs &&
      older.some((segment) => segment.live.size === 0);
    for (const segment of older) {
      const mostlyGone = segment.liveBytes * 2 <= segment.size;
      if (segment.live.size === 0 || !(mostlyGone || (segment === oldest && oldestHoldsUp))) continue;
      for (const id of [...segment.live]) {
        const body = await this.readBody(id).catch(() => null);
        const entry = this.#index.get(id);
        if (!body || !entry || entry.segment !== segment || this.#closed) continue;
        await this.#append("E", id, entry.json, body);
      }
    }
    while (this.#segments.length > 1 && this.#segments[0]!.live.size === 0 && this.#segments[0] !== newest) {
      const oldest = this.#segments[0]!;
      await oldest.handle?.close().catch(() => undefined);
      oldest.handle = null;
      await unlink(oldest.file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      await this.#sync.sync(this.#dir);
      if (this.#segments[0] === oldest) this.#segments.shift();
    }
  }

  async #reader(segment: Segment): Promise<FileHandle> {
    segment.handle ??= await open(segment.file, "r");
    return segment.handle;
  }
}

/** The entry's body no longer counts in its segment. */
function dropLive(id: string, entry: IndexEntry): void {
  if (entry.segment.live.delete(id)) entry.segment.liveBytes -= entry.bodyLength;
}

/** The living entries' latest metadata, read without opening the journal for writing. */
export async function readJournal(dir: string): Promise<Map<string, string>> {
  const journal = new Journal({ dir, logger: silentLogger(), sync: new DirectorySync() });
  try {
    return await journal.read();
  } finally {
    await journal.close();
  }
}

async function listSegments(dir: string): Promise<Segment[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names
    .map((name) => SEGMENT_NAME.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({
      seq: Number(match[1]),
      file: path.join(dir, match[0]),
      handle: null,
      size: 0,
      live: new Set<string>(),
      liveBytes: 0,
      broken: true, // never appended to again: a new segment starts at every open
      startedAt: 0,
    }))
    .sort((a, b) => a.seq - b.seq);
}

interface DecodedRecord {
  type: RecordType;
  id: string;
  json: string;
  bodyOffset: number;
  bodyLength: number;
}

/** Payload: type (1 byte), id length (1), id, json length (4), json, body (the rest). */
function encode(item: Pending): { pieces: Uint8Array[]; length: number; bodyStart: number } {
  const id = Buffer.from(item.id, "latin1");
  const json = Buffer.from(item.json, "utf8");
  const head = Buffer.alloc(HEADER_BYTES + 2 + id.length + 4);
  const body = item.body ?? new Uint8Array(0);
  const payloadLength = 2 + id.length + 4 + json.length + body.byteLength;
  head.writeUInt32LE(payloadLength, 0);
  head.write(item.type, HEADER_BYTES, "latin1");
  head.writeUInt8(id.length, HEADER_BYTES + 1);
  id.copy(head, HEADER_BYTES + 2);
  head.writeUInt32LE(json.length, HEADER_BYTES + 2 + id.length);
  let crc = crc32(head.subarray(HEADER_BYTES));
  crc = crc32(json, crc);
  crc = crc32(body, crc);
  head.writeUInt32LE(crc, 4);
  return {
    pieces: [head, json, body],
    length: HEADER_BYTES + payloadLength,
    bodyStart: head.length + json.length,
  };
}

/** Reads a segment's records in order; returns where it stopped early, if it did. */
async function replaySegment(
  segment: Segment,
  onRecord: (record: DecodedRecord) => void,
): Promise<{ damagedAt: number | null }> {
  segment.handle ??= await open(segment.file, "r");
  const handle = segment.handle;
  const { size: fileSize } = await handle.stat();
  const header = Buffer.alloc(HEADER_BYTES);
  let offset = 0;
  while (offset < fileSize) {
    const damaged = (): { damagedAt: number } => ({ damagedAt: offset });
    if (fileSize - offset < HEADER_BYTES) return damaged();
    await handle.read(header, 0, HEADER_BYTES, offset);
    const payloadLength = header.readUInt32LE(0);
    if (payloadLength < 6 || offset + HEADER_BYTES + payloadLength > fileSize) return damaged();
    const payload = Buffer.alloc(payloadLength);
    const { bytesRead } = await handle.read(payload, 0, payloadLength, offset + HEADER_BYTES);
    if (bytesRead !== payloadLength || crc32(payload) !== header.readUInt32LE(4)) return damaged();
    const type = String.fromCharCode(payload[0]!) as RecordType;
    const idLength = payload[1]!;
    const jsonStart = 2 + idLength + 4;
    if (!["E", "M", "R"].includes(type) || jsonStart > payloadLength) return damaged();
    const jsonLength = payload.readUInt32LE(2 + idLength);
    if (jsonStart + jsonLength > payloadLength) return damaged();
    onRecord({
      type,
      id: payload.toString("latin1", 2, 2 + idLength),
      json: payload.toString("utf8", jsonStart, jsonStart + jsonLength),
      bodyOffset: offset + HEADER_BYTES + jsonStart + jsonLength,
      bodyLength: payloadLength - jsonStart - jsonLength,
    });
    offset += HEADER_BYTES + payloadLength;
    segment.size = offset;
  }
  return { damagedAt: null };
}
