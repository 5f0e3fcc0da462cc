// Local delivery into Maildir (<stateDir>/mail/<domain>/<localpart>/Maildir). A message is written to
// tmp/, fsynced, renamed into new/ and the directory fsynced — all before the client gets its 250 — so
// an accepted message survives a crash. One file per mailbox, never a shared link, so deleting it in
// one mailbox never touches another.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { mkdirDurable, writeDurably } from "../state/atomic-write";

export interface MailboxRef {
  /** Lower-cased domain, validated as a domain name by the config compiler. */
  domain: string;
  /** Lower-cased local part, validated as path-safe by the config compiler. */
  localPart: string;
}

export function maildirPath(stateDir: string, mailbox: MailboxRef): string {
  return path.join(stateDir, "mail", mailbox.domain, mailbox.localPart, "Maildir");
}

/** Maildir++ folder for mail the sender's domain asked to quarantine (DMARC, POLICY.md row 9). */
export const JUNK_FOLDER = "Junk";

/** A Maildir++ subfolder (`<maildir>/.<name>/{tmp,new,cur}`), or the inbox when `folder` is omitted. */
export function maildirFolderPath(stateDir: string, mailbox: MailboxRef, folder?: string): string {
  const root = maildirPath(stateDir, mailbox);
  return folder ? path.join(root, `.${folder}`) : root;
}

let deliveryCounter = 0;

/** A Maildir unique name: time, microseconds, pid, counter, randomness and the host. */
export function uniqueName(hostname: string): string {
  const now = Date.now();
  const seconds = Math.floor(now / 1000);
  const micros = (now % 1000) * 1000 + Math.floor(Math.random() * 1000);
  deliveryCounter = (deliveryCounter + 1) % 1_000_000_000;
  // Maildir forbids "/" and ":" in the host part; the spec's octal escapes keep names unambiguous.
  const host = hostname.replace(/\//g, "\\057").replace(/:/g, "\\072");
  return `${seconds}.M${micros}P${process.pid}Q${deliveryCounter}R${randomBytes(8).toString("hex")}.${host}`;
}

export async function ensureMaildir(root: string): Promise<void> {
  for (const sub of ["tmp", "new", "cur"]) await mkdirDurable(path.join(root, sub), 0o700);
}

/** Durably delivers one message to one mailbox; resolves with the file path in new/. */
export async function deliverToMaildir(
  stateDir: string,
  mailbox: MailboxRef,
  message: Buffer,
  hostname: string,
  /** A Maildir++ subfolder such as JUNK_FOLDER; the inbox when omitted. */
  folder?: string,
): Promise<string> {
  const root = maildirFolderPath(stateDir, mailbox, folder);
  await ensureMaildir(root);
  // Maildir++ marks a subfolder with an empty `maildirfolder` file (Courier, Dovecot).
  if (folder) await writeFile(path.join(root, "maildirfolder"), "", { flag: "a", mode: 0o600 });
  const name = uniqueName(hostname);
  const tmpFile = path.join(root, "tmp", name);
  const newFile = path.join(root, "new", name);
  await writeDurably(tmpFile, newFile, message, 0o600);
  return newFile;
}
