// The durable mail queue: every accepted message — for local mailboxes and remote domains alike — is
// written here before the client gets its 250, and leaves only once each recipient is delivered or has
// failed (and been bounced or not, per policy row 6). A crash after the 250 therefore never loses mail;
// the delivery worker (../delivery) picks the entries up again at start.
//
// On disk, in <stateDir>/queue: the journal (./journal) — each entry's metadata and message in one
// record, concurrent messages sharing one fdatasync; then new metadata after each attempt (per recipient:
// state, attempts, next attempt, last error); then its removal. Queues written by agents before the
// journal (one <id>.msg file per entry, a <id>.json beside it once anything changed) are moved into the
// journal at open.
import { randomBytes } from "node:crypto";
import { readdir, readFile, rename } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { mkdirDurable } from "../state/atomic-write";
import { DirectorySync, unlinkIfPresent } from "./durable-files";
import { Journal, readJournal, type JournalStats } from "./journal";

export const recipientStates = ["pending", "delivered", "failed"] as const;
export type RecipientState = (typeof recipientStates)[number];

const mailboxRefSchema = z.object({ domain: z.string().min(1), localPart: z.string().min(1) }).strict();

const queueRecipientSchema = z
  .object({
    address: z.string(),
    /** Set for a mailbox on this agent: the copy goes to its Maildir instead of over SMTP. */
    mailbox: mailboxRefSchema.optional(),
    /** A Maildir++ subfolder for the local copy (e.g. "Junk" for DMARC quarantine); the inbox if unset. */
    folder: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 _-]{0,63}$/)
      .optional(),
    /** Prepended to the stored message for this recipient (its Received: trace header). */
    prepend: z.string(),
    state: z.enum(recipientStates),
    /** Delivery attempts made so far. */
    attempts: z.number().int().min(0),
    /** ISO time of the next attempt (meaningful while pending). */
    nextAttemptAt: z.string(),
    /** The last failure, as the remote server or the agent put it. */
    lastError: z.string().optional(),
    /** RFC 3463 status of the final failure, reported in the DSN. */
    status: z.string().optional(),
    /** The server that gave the last answer (for the DSN's Remote-MTA). */
    remoteMta: z.string().optional(),
    finishedAt: z.string().optional(),
    /** For a failed recipient: a DSN was queued for it, or policy row 6 said not to send one. */
    bounce: z.enum(["queued", "suppressed"]).optional(),
  })
  .strict();

export const queueEntrySchema = z
  .object({
    version: z.literal(1),
    id: z.string().regex(/^[0-9A-Z]+$/),
    /** Envelope sender; "" is the null sender (a bounce), which is never bounced to. */
    mailFrom: z.string(),
    receivedAt: z.string(),
    /** Bytes of the message as received (without the per-recipient trace headers). */
    size: z.number().int().min(0).optional(),
    /** SPF result at reception (RFC 7208: pass, fail, softfail, neutral, none, temperror, permerror). */
    spf: z.string().optional(),
    /** The SMTP AUTH identity of the session that submitted the message. */
    authenticatedUser: z.string().optional(),
    /** For a DSN this agent generated: the id of the entry it reports on. */
    dsnOf: z.string().optional(),
    /** DSNs generated for this entry so far (their ids are <id>D<n>, so a crash never sends one twice). */
    dsnCount: z.number().int().min(0),
    recipients: z.array(queueRecipientSchema).min(1),
  })
  .strict();

export type QueueEntry = z.infer<typeof queueEntrySchema>;
export type QueueRecipient = z.infer<typeof queueRecipientSchema>;

export interface NewQueueRecipient {
  address: string;
  mailbox?: { domain: string; localPart: string } | undefined;
  folder?: string | undefined;
  prepend?: string | undefined;
}

export interface NewQueueEntry {
  /** Defaults to a fresh id (newMessageId). */
  id?: string | undefined;
  mailFrom: string;
  recipients: NewQueueRecipient[];
  spf?: string | undefined;
  authenticatedUser?: string | undefined;
  dsnOf?: string | undefined;
}

export function queueDir(stateDir: string): string {
  return path.join(stateDir, "queue");
}

export function newMessageId(): string {
  return `${Date.now().toString(36)}${randomBytes(8).toString("hex")}`.toUpperCase();
}

/** `message` is the bytes just written, so the first delivery attempt need not read them back. */
export type EnqueueListener = (entry: QueueEntry, message: Uint8Array) => void;

export class MailQueue {
  readonly dir: string;
  readonly #logger: Logger;
  readonly #sync: DirectorySync;
  readonly #journal: Journal;
  readonly #listeners = new Set<EnqueueListener>();
  /** The folder and the journal, opened once (concurrent first callers wait for the same opening). */
  #opened: Promise<QueueEntry[]> | null = null;

  constructor(options: {
    stateDir: string;
    logger: Logger;
    sync?: DirectorySync;
    /** Journal tuning, for tests (./journal). */
    segmentBytes?: number;
    compactAfterMs?: number;
  }) {
    this.dir = queueDir(options.stateDir);
    this.#logger = options.logger;
    this.#sync = options.sync ?? new DirectorySync();
    this.#journal = new Journal({
      dir: this.dir,
      logger: options.logger,
      sync: this.#sync,
      segmentBytes: options.segmentBytes,
      compactAfterMs: options.compactAfterMs,
    });
  }

  /** The group-commit folder fsyncs, shared with the delivery worker's Maildir writes. */
  get directorySync(): DirectorySync {
    return this.#sync;
  }

  /** Folder fsyncs requested vs made: how much group commit saved. */
  get syncStats() {
    return this.#sync.stats;
  }

  /** Journal records appended vs fdatasyncs made for them. */
  get journalStats(): JournalStats {
    return this.#journal.stats;
  }

  /** Entries not fully delivered yet (0 before open). */
  get size(): number {
    return this.#journal.size;
  }

  /** Journal segment files (for tests). */
  get segmentCount(): number {
    return this.#journal.segmentCount;
  }

  /** Called after each entry is durably queued (the delivery worker starts on it at once). */
  onEnqueued(listener: EnqueueListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Creates the folder, replays the journal, moves entries of the older one-file-per-entry layout into
   * it, and returns the entries, oldest first. Metadata that no longer parses is logged and left out
   * (its record stays in the journal file until the segment is compacted).
   */
  open(): Promise<QueueEntry[]> {
    this.#opened ??= this.#open().catch((error: unknown) => {
      this.#opened = null;
      throw error;
    });
    return this.#opened;
  }

  async #open(): Promise<QueueEntry[]> {
    await mkdirDurable(this.dir, 0o700);
    const stored = await this.#journal.open();
    const migrated = await this.#migrateFiles();
    const entries: QueueEntry[] = [];
    for (const [id, json] of stored) {
      const entry = parseEntry(id, json);
      if (entry) entries.push(entry);
      else this.#logger.error({ id }, "queue entry unreadable; left in the journal");
    }
    entries.push(...migrated);
    entries.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
    this.#logger.info({ entries: entries.length, migrated: migrated.length }, "queue opened");
    return entries;
  }

  /**
   * Moves <id>.msg (+ <id>.json) entries of the older layout into the journal, then deletes the files;
   * a crash halfway leaves both, and the journal's copy wins next time. Temp files are a write a crash
   * interrupted before its 250; unreadable entries are set aside as *.corrupt (never deleted).
   */
  async #migrateFiles(): Promise<QueueEntry[]> {
    const names = await readdir(this.dir);
    const present = new Set(names);
    const moved: QueueEntry[] = [];
    let changed = false;
    for (const name of names) {
      const match = /^([0-9A-Z]+)\.msg$/.exec(name);
      if (name.startsWith(".") && name.endsWith(".tmp")) {
        await unlinkIfPresent(path.join(this.dir, name));
        changed = true;
      } else if (match) {
        const id = match[1]!;
        const files = this.#legacyFiles(id);
        try {
          if (!this.#journal.has(id)) {
            const content = await readFile(files.msg);
            const newline = content.indexOf(0x0a);
            const json = present.has(`${id}.json`)
              ? await readFile(files.json, "utf8")
              : content.subarray(0, Math.max(newline, 0)).toString("utf8");
            const entry = newline < 0 ? null : parseEntry(id, json.trim());
            if (!entry) throw new Error("metadata unreadable");
            await this.#journal.put(id, JSON.stringify(entry), content.subarray(newline + 1));
            moved.push(entry);
          }
          await unlinkIfPresent(files.json);
          await unlinkIfPresent(files.msg);
        } catch (error) {
          this.#logger.error({ id, err: (error as Error).message }, "queue entry unreadable; set aside");
          for (const file of [`${id}.msg`, `${id}.json`].filter((file) => present.has(file))) {
            await rename(path.join(this.dir, file), path.join(this.dir, `${file}.corrupt`));
          }
        }
        changed = true;
      } else if (/^[0-9A-Z]+\.json$/.test(name) && !present.has(name.replace(/json$/, "msg"))) {
        await unlinkIfPresent(path.join(this.dir, name)); // its entry was removed (msg goes first)
        changed = true;
      }
    }
    if (changed) await this.#sync.sync(this.dir);
    return moved;
  }

  /**
   * Durably writes a new entry; resolves only once it survives a crash (then the 250 may go out).
   * `notify: false` keeps the delivery worker from starting on it (it admits the entry itself).
   */
  async enqueue(
    input: NewQueueEntry,
    message: Uint8Array,
    options: { notify?: boolean } = {},
  ): Promise<QueueEntry> {
    const now = new Date().toISOString();
    const entry: QueueEntry = {
      version: 1,
      id: input.id ?? newMessageId(),
      mailFrom: input.mailFrom,
      receivedAt: now,
      size: message.byteLength,
      ...(input.spf !== undefined && { spf: input.spf }),
      ...(input.authenticatedUser !== undefined && { authenticatedUser: input.authenticatedUser }),
      ...(input.dsnOf !== undefined && { dsnOf: input.dsnOf }),
      dsnCount: 0,
      recipients: input.recipients.map((recipient) => ({
        address: recipient.address,
        ...(recipient.mailbox && { mailbox: { ...recipient.mailbox } }),
        ...(recipient.mailbox && recipient.folder && { folder: recipient.folder }),
        prepend: recipient.prepend ?? "",
        state: "pending",
        attempts: 0,
        nextAttemptAt: now,
      })),
    };
    await this.open();
    if (this.#journal.has(entry.id)) throw new Error(`queue entry ${entry.id} exists already`);
    await this.#journal.put(entry.id, JSON.stringify(entry), message);
    if (options.notify === false) return entry;
    for (const listener of this.#listeners) {
      try {
        listener(entry, message);
      } catch (error) {
        this.#logger.error({ id: entry.id, err: error }, "queue listener failed");
      }
    }
    return entry;
  }

  /** The message as received. */
  async readMessage(id: string): Promise<Buffer> {
    await this.open();
    return this.#journal.readBody(id);
  }

  /** Durably replaces an entry's metadata (after an attempt, or an admin's retry/reset). */
  async save(entry: QueueEntry): Promise<void> {
    await this.open();
    await this.#journal.update(entry.id, JSON.stringify(entry));
  }

  async exists(id: string): Promise<boolean> {
    await this.open();
    return this.#journal.has(id);
  }

  /** Removes a finished (or deleted) entry; resolves once the removal is durable. */
  async remove(id: string): Promise<void> {
    await this.open();
    await this.#journal.remove(id);
  }

  /** Waits for writes in progress and closes the journal's files. */
  async close(): Promise<void> {
    await this.#journal.close();
  }

  #legacyFiles(id: string): { msg: string; json: string } {
    return { msg: path.join(this.dir, `${id}.msg`), json: path.join(this.dir, `${id}.json`) };
  }
}

function parseEntry(id: string, json: string): QueueEntry | null {
  try {
    const entry = queueEntrySchema.parse(JSON.parse(json));
    return entry.id === id ? entry : null;
  } catch {
    return null;
  }
}

/** Entries on disk not fully delivered yet (the queue size); works without a running agent. */
export async function queueSize(stateDir: string): Promise<number> {
  const stored = await readJournal(queueDir(stateDir));
  // entries of the older layout that no agent has moved into the journal yet
  const names = await readdir(queueDir(stateDir)).catch(() => [] as string[]);
  const unmoved = names.filter((name) => /^[0-9A-Z]+\.msg$/.test(name) && !stored.has(name.slice(0, -4)));
  return stored.size + unmoved.length;
}

/** The entries on disk as their latest metadata says (for tests and diagnostics; read-only). */
export async function readQueue(stateDir: string): Promise<QueueEntry[]> {
  const stored = await readJournal(queueDir(stateDir));
  return [...stored].flatMap(([id, json]) => parseEntry(id, json) ?? []);
}
