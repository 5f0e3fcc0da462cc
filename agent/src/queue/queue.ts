// The durable mail queue: every accepted message — for local mailboxes and remote domains alike — is
// written here before the client gets its 250, and leaves only once each recipient is delivered or has
// failed (and been bounced or not, per policy row 6). A crash after the 250 therefore never loses mail;
// the delivery worker (../delivery) picks the entries up again at start.
//
// On disk, in <stateDir>/queue (Haraka's outbound queue keeps a similar split):
//   <id>.msg   one line of JSON metadata as accepted, then the message as received. Written to a temp
//              file, fsynced, renamed, folder fsynced (shared between concurrent messages, see
//              ./durable-files) before enqueue resolves: one file, one fsync, and its existence is the
//              entry's existence.
//   <id>.json  the current metadata once anything changed (per recipient: state, attempts, next
//              attempt, last error), replaced atomically after each attempt; it wins over the first line.
// Removal unlinks <id>.msg first, so a crash halfway never resurrects a finished entry; a .json without
// its .msg, and temp files, are leftovers that opening the queue clears.
import { randomBytes } from "node:crypto";
import { access, open, readdir, readFile, rename, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { mkdirDurable } from "../state/atomic-write";
import { DirectorySync, replaceDurably, unlinkIfPresent, writeSyncedFile } from "./durable-files";

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
  readonly #listeners = new Set<EnqueueListener>();
  /** The folder, created durably once (concurrent first messages wait for the same creation). */
  #folderReady: Promise<void> | null = null;
  /** Entries that have a <id>.json sidecar (removal skips the unlink of one that was never written). */
  readonly #sidecars = new Set<string>();

  constructor(options: { stateDir: string; logger: Logger; sync?: DirectorySync }) {
    this.dir = queueDir(options.stateDir);
    this.#logger = options.logger;
    this.#sync = options.sync ?? new DirectorySync();
  }

  /** The group-commit folder fsyncs, shared with the delivery worker's Maildir writes. */
  get directorySync(): DirectorySync {
    return this.#sync;
  }

  /** Folder fsyncs requested vs made: how much group commit saved. */
  get syncStats() {
    return this.#sync.stats;
  }

  /** Called after each entry is durably queued (the delivery worker starts on it at once). */
  onEnqueued(listener: EnqueueListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Creates the folder, clears what a crash left behind and returns the complete entries, oldest first.
   * Unreadable metadata is set aside as <id>.json.corrupt (never deleted: it may be someone's mail).
   */
  async open(): Promise<QueueEntry[]> {
    await this.#folder();
    const names = await readdir(this.dir);
    const present = new Set(names);
    const entries: QueueEntry[] = [];
    let cleaned = 0;
    for (const name of names) {
      if (name.startsWith(".")) {
        // a temp file from a write a crash interrupted; one younger than this process is a message
        // being accepted right now (the listeners are already up)
        const started = await stat(path.join(this.dir, name)).then(
          (info) => info.mtimeMs,
          () => Infinity,
        );
        if (started >= performance.timeOrigin) continue;
        await unlinkIfPresent(path.join(this.dir, name));
        cleaned += 1;
        continue;
      }
      const match = /^([0-9A-Z]+)\.(msg|json)$/.exec(name);
      if (!match) continue;
      const [, id, kind] = match as unknown as [string, string, "msg" | "json"];
      if (kind === "json") {
        if (!present.has(`${id}.msg`)) {
          await unlinkIfPresent(path.join(this.dir, name)); // its entry was removed (msg goes first)
          cleaned += 1;
        }
        continue;
      }
      try {
        entries.push(await this.#load(id, present.has(`${id}.json`)));
        if (present.has(`${id}.json`)) this.#sidecars.add(id);
      } catch (error) {
        this.#logger.error({ id, err: (error as Error).message }, "queue entry unreadable; set aside");
        for (const file of [`${id}.msg`, `${id}.json`].filter((file) => present.has(file))) {
          await rename(path.join(this.dir, file), path.join(this.dir, `${file}.corrupt`));
        }
      }
    }
    if (cleaned > 0) await this.#sync.sync(this.dir);
    entries.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
    this.#logger.info({ entries: entries.length, cleaned }, "queue opened");
    return entries;
  }

  async #load(id: string, hasSidecar: boolean): Promise<QueueEntry> {
    const files = this.#files(id);
    const text = hasSidecar ? await readFile(files.json, "utf8") : await firstLine(files.msg);
    const entry = queueEntrySchema.parse(JSON.parse(text));
    if (entry.id !== id) throw new Error(`metadata names ${entry.id}`);
    return entry;
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
    await this.#folder();
    const files = this.#files(entry.id);
    const temp = path.join(this.dir, `.${entry.id}.msg.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      await writeSyncedFile(temp, [Buffer.from(JSON.stringify(entry) + "\n"), message]);
      await rename(temp, files.msg);
      await this.#sync.sync(this.dir);
    } catch (error) {
      // the client gets a 4xx and retries: leave nothing that could be delivered a second time
      await unlinkIfPresent(temp);
      await unlinkIfPresent(files.msg);
      throw error;
    }
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

  /** The message as received (without the metadata line). */
  async readMessage(id: string): Promise<Buffer> {
    const content = await readFile(this.#files(id).msg);
    const newline = content.indexOf(0x0a);
    if (newline < 0) throw new Error(`queue entry ${id} has no metadata line`);
    return content.subarray(newline + 1);
  }

  /** Durably replaces an entry's metadata (after an attempt, or an admin's retry/reset). */
  async save(entry: QueueEntry): Promise<void> {
    const temp = path.join(
      this.dir,
      `.${entry.id}.json.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
    );
    this.#sidecars.add(entry.id);
    await replaceDurably(this.#sync, temp, this.#files(entry.id).json, JSON.stringify(entry) + "\n");
  }

  async exists(id: string): Promise<boolean> {
    try {
      await access(this.#files(id).msg);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes a finished (or deleted) entry: the message first, so a crash halfway leaves nothing that counts. */
  async remove(id: string): Promise<void> {
    const files = this.#files(id);
    await unlinkIfPresent(files.msg);
    if (this.#sidecars.delete(id)) await unlinkIfPresent(files.json);
    await this.#sync.sync(this.dir);
  }

  #folder(): Promise<void> {
    this.#folderReady ??= mkdirDurable(this.dir, 0o700).catch((error: unknown) => {
      this.#folderReady = null;
      throw error;
    });
    return this.#folderReady;
  }

  #files(id: string): { msg: string; json: string } {
    if (!/^[0-9A-Z]+$/.test(id)) throw new Error(`not a queue id: ${JSON.stringify(id)}`);
    return { msg: path.join(this.dir, `${id}.msg`), json: path.join(this.dir, `${id}.json`) };
  }
}

/** The metadata line at the start of a .msg file, read without loading the message. */
async function firstLine(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const chunks: Buffer[] = [];
    for (let position = 0; ;) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error("no metadata line");
      const chunk = buffer.subarray(0, bytesRead);
      const newline = chunk.indexOf(0x0a);
      if (newline >= 0) {
        chunks.push(chunk.subarray(0, newline));
        return Buffer.concat(chunks).toString("utf8");
      }
      chunks.push(chunk);
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** Entries on disk not fully delivered yet (the posture's queue size); works without a running worker. */
export async function queueSize(stateDir: string): Promise<number> {
  try {
    const names = await readdir(queueDir(stateDir));
    return names.filter((name) => /^[0-9A-Z]+\.msg$/.test(name)).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}
