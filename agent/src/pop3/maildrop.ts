// A POP3 maildrop over one Maildir (new/ and cur/): the message list fixed at login, sizes as RETR sends
// them, streaming RETR/TOP, and the UPDATE state (RFC 1939 §6) — messages marked with DELE are unlinked
// and both folders fsynced before QUIT answers +OK, so a deletion the client was told about survives a
// crash; retrieved messages move from new/ to cur/ marked seen, as other Maildir readers expect.
import { createHash } from "node:crypto";
import { type Dirent } from "node:fs";
import { open, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { fsyncDirectory } from "../state/atomic-write";
import { MessageEncoder, type EncoderOptions } from "./message-encoder";

export interface MaildropMessage {
  /** 1-based message number, fixed for the session (RFC 1939 §5). */
  number: number;
  /** Unique-id listing value: stable across sessions and across the move from new/ to cur/. */
  uid: string;
  folder: "new" | "cur";
  name: string;
  file: string;
  /** Octets RETR sends before dot-stuffing. */
  size: number;
  isDeleted: boolean;
  isRetrieved: boolean;
}

export interface CommitResult {
  deleted: number;
  /** Messages marked deleted that could not be removed (QUIT then answers -ERR, RFC 1939 §6). */
  failed: number;
}

const READ_CHUNK_BYTES = 64 * 1024;
const SIZE_SCAN_CONCURRENCY = 8;

/**
 * Maildir files never change once delivered, so a message's wire size is cached by its identity; only
 * the first login after a start reads every message to size it.
 */
const sizeCache = new Map<string, number>();
const SIZE_CACHE_LIMIT = 100_000;

export class Maildrop {
  readonly root: string;
  readonly messages: readonly MaildropMessage[];

  private constructor(root: string, messages: MaildropMessage[]) {
    this.root = root;
    this.messages = messages;
  }

  /** Lists new/ and cur/ (a mailbox that never received mail is an empty maildrop). */
  static async open(root: string): Promise<Maildrop> {
    const entries: { folder: "new" | "cur"; name: string }[] = [];
    for (const folder of ["new", "cur"] as const) {
      const names = await readdir(path.join(root, folder), { withFileTypes: true }).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return [] as Dirent[];
          throw error;
        },
      );
      for (const entry of names) {
        // Dot files are not messages (Maildir++ and editors leave some); a folder is never a message.
        if (entry.name.startsWith(".") || !entry.isFile()) continue;
        entries.push({ folder, name: entry.name });
      }
    }
    const listed = await mapLimit(entries, SIZE_SCAN_CONCURRENCY, async (entry) => {
      const file = path.join(root, entry.folder, entry.name);
      try {
        const info = await stat(file);
        // Keyed by what stays put when the message moves to cur/: folder, unique name, size, mtime.
        const cacheKey = `${root}\0${uidFor(entry.name)}\0${info.size}\0${info.mtimeMs}`;
        return { ...entry, file, mtimeMs: info.mtimeMs, size: await wireSize(file, cacheKey) };
      } catch (error) {
        // Gone between readdir and stat (another reader expunged it): not part of this maildrop.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    });
    const present = listed.filter((entry) => entry !== null);
    // Oldest first, the order a mail client expects message numbers in.
    present.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    const seenUids = new Set<string>();
    const messages = present.map((entry, index): MaildropMessage => {
      let uid = uidFor(entry.name);
      if (seenUids.has(uid)) uid = hashUid(`${entry.folder}/${entry.name}`);
      seenUids.add(uid);
      return {
        number: index + 1,
        uid,
        folder: entry.folder,
        name: entry.name,
        file: entry.file,
        size: entry.size,
        isDeleted: false,
        isRetrieved: false,
      };
    });
    return new Maildrop(root, messages);
  }

  /** Messages not marked deleted: what STAT counts and LIST shows. */
  get visible(): { count: number; size: number } {
    let count = 0;
    let size = 0;
    for (const message of this.messages) {
      if (message.isDeleted) continue;
      count += 1;
      size += message.size;
    }
    return { count, size };
  }

  /** A message by its number, or undefined when out of range or marked deleted. */
  find(number: number): MaildropMessage | undefined {
    const message = this.messages[number - 1];
    return message && !message.isDeleted ? message : undefined;
  }

  reset(): void {
    for (const message of this.messages) message.isDeleted = false;
  }

  /** Opens the file before anything is sent, so a vanished message gets -ERR rather than half a reply. */
  openMessage(message: MaildropMessage): Promise<FileHandle> {
    return open(message.file, "r");
  }

  /** Streams the wire form of an opened message to `write`, which applies the socket's backpressure. */
  async streamMessage(
    handle: FileHandle,
    options: EncoderOptions,
    write: (chunk: Buffer) => Promise<void>,
  ): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let parts: Buffer[] = [];
    const encoder = new MessageEncoder(options, (chunk) => parts.push(chunk));
    const flush = async () => {
      if (parts.length === 0) return;
      const chunk = Buffer.concat(parts); // copies: `buffer` is reused for the next read
      parts = [];
      await write(chunk);
    };
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      encoder.push(buffer.subarray(0, bytesRead));
      await flush();
      if (encoder.isDone) break;
    }
    encoder.end();
    await flush();
  }

  /** The UPDATE state: durable deletions, then retrieved messages marked seen. */
  async commit(): Promise<CommitResult> {
    let deleted = 0;
    let failed = 0;
    const touched = new Set<string>();
    for (const message of this.messages) {
      if (message.isDeleted) {
        try {
          await unlink(message.file);
          deleted += 1;
        } catch (error) {
          // Already gone is what the client asked for.
          if ((error as NodeJS.ErrnoException).code === "ENOENT") deleted += 1;
          else failed += 1;
        }
        touched.add(path.dirname(message.file));
      } else if (message.isRetrieved && message.folder === "new" && !message.name.includes(":")) {
        // Best effort: a failed rename only means the message still looks unread to other readers.
        const target = path.join(this.root, "cur", `${message.name}:2,S`);
        await rename(message.file, target).then(
          () => touched.add(path.dirname(message.file)).add(path.dirname(target)),
          () => undefined,
        );
      }
    }
    for (const dir of touched) await fsyncDirectory(dir);
    return { deleted, failed };
  }
}

/**
 * RFC 1939 §7: 1 to 70 characters in 0x21-0x7E. The Maildir unique name (before ":2,<flags>") usually
 * qualifies and is readable; anything else (a long hostname, odd characters) is hashed.
 */
export function uidFor(name: string): string {
  const unique = name.split(":", 1)[0] ?? name;
  return /^[\x21-\x7e]{1,70}$/.test(unique) ? unique : hashUid(unique);
}

function hashUid(value: string): string {
  return createHash("sha256").update(value).digest("base64url").slice(0, 40);
}

async function wireSize(file: string, key: string): Promise<number> {
  const cached = sizeCache.get(key);
  if (cached !== undefined) return cached;
  const handle = await open(file, "r");
  let size = 0;
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const encoder = new MessageEncoder({ dotStuff: false }, (chunk) => (size += chunk.length));
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      encoder.push(buffer.subarray(0, bytesRead));
    }
    encoder.end();
  } finally {
    await handle.close();
  }
  if (sizeCache.size >= SIZE_CACHE_LIMIT) {
    const oldest = sizeCache.keys().next();
    if (!oldest.done) sizeCache.delete(oldest.value);
  }
  sizeCache.set(key, size);
  return size;
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
