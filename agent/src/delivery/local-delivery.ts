// Local delivery from the queue into a mailbox's Maildir, exactly once even across crashes: the file name
// is derived from the queue id and the recipient's position in the entry, so a retry after a crash finds
// the copy it already made (in new/, or in cur/ once a reader has seen it) instead of writing a second
// one. The queue entry is only removed after every copy is durably in place (tmp/, fsync, rename into
// new/, fsync of new/), so the Maildir file itself is the per-recipient "done" marker.
import { readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { ensureMaildir, maildirPath, type MailboxRef } from "../maildir/maildir";
import type { DirectorySync } from "../queue/durable-files";
import { replaceDurably, unlinkIfPresent, type FileContent } from "../queue/durable-files";
import type { QueueEntry } from "../queue/queue";

/** "<seconds>.Q<id>R<index>.<host>": a valid, unique Maildir name that is the same on every attempt. */
export function maildirName(entry: QueueEntry, recipientIndex: number, hostname: string): string {
  const seconds = Math.floor(Date.parse(entry.receivedAt) / 1000);
  // Maildir forbids "/" and ":" in the host part; the spec's octal escapes keep names unambiguous.
  const host = hostname.replace(/\//g, "\\057").replace(/:/g, "\\072");
  return `${seconds}.Q${entry.id}R${recipientIndex}.${host}`;
}

export interface LocalDeliveryTarget {
  stateDir: string;
  mailbox: MailboxRef;
  /** Maildir++ subfolder ("Junk"); the inbox when unset. */
  folder?: string | undefined;
  /** From maildirName. */
  name: string;
  /**
   * The entry was recovered after a crash or attempted before: look for an earlier copy (in new/ and,
   * by a full listing, cur/) and a half-written temp file. Otherwise no copy can exist yet (the name
   * holds the queue id), and those lookups are skipped.
   */
  thorough: boolean;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

export async function alreadyDelivered(root: string, name: string): Promise<boolean> {
  if (await exists(path.join(root, "new", name))) return true;
  const seen = await readdir(path.join(root, "cur")).catch(() => [] as string[]);
  return seen.some((file) => file === name || file.startsWith(`${name}:`));
}

/**
 * Writes `message` into the mailbox unless this very copy is already there. Resolves "written" or
 * "already-delivered"; either way the copy is durable afterwards.
 */
export async function deliverLocallyOnce(
  target: LocalDeliveryTarget,
  message: FileContent,
  sync: DirectorySync,
  knownMaildirs: Set<string>,
): Promise<"written" | "already-delivered"> {
  const inbox = maildirPath(target.stateDir, target.mailbox);
  const root = target.folder ? path.join(inbox, `.${target.folder}`) : inbox;
  if (!knownMaildirs.has(root)) {
    await ensureMaildir(root);
    // Maildir++ marks a subfolder with an empty `maildirfolder` file (Courier, Dovecot)
    if (target.folder) await writeFile(path.join(root, "maildirfolder"), "", { flag: "a", mode: 0o600 });
    knownMaildirs.add(root);
  }
  const temp = path.join(root, "tmp", target.name);
  if (target.thorough) {
    if (await alreadyDelivered(root, target.name)) {
      // it may have been renamed in just before a crash: make sure that rename is durable too
      await sync.sync(path.join(root, "new"));
      return "already-delivered";
    }
    await unlinkIfPresent(temp); // a half-written copy from an interrupted attempt
  }
  try {
    await replaceDurably(sync, temp, path.join(root, "new", target.name), message, 0o600);
  } catch (error) {
    knownMaildirs.delete(root); // the folders may be gone; recreate them next time
    throw error;
  }
  return "written";
}
