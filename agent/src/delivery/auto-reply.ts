// Row 7: vacation replies. After a message lands in a mailbox that has an auto-reply, the delivery
// worker asks here whether to answer and, if so, queues the reply like any other mail (so it is
// delivered, retried or failed on the normal schedule). The gate is the domain policy's
// `autoResponders` (require-spf-pass · disabled · enabled), and RFC 3834's rules on top: never to the
// null sender, to mailing lists, to automatic mail or to robot addresses, and at most one reply per
// original sender per interval — remembered in the state directory so a restart does not reset it.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Policy } from "@mailwarden/policy";
import type { QueueEntry } from "../queue/queue";
import { mkdirDurable, writeFileAtomic } from "../state/atomic-write";

export type AutoReplySettings = { subject: string; body: string; intervalHours: number };

/** Local parts that belong to robots, not people (RFC 3834 §2, plus common no-reply spellings). */
const robotLocalPart =
  /^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|listserv|majordomo|bounces?|owner-.+|.+-request|.+-bounces?)$/i;

/**
 * Header fields of a message, by lower-cased name (unfolded, each occurrence kept); `message` as bytes,
 * or as text already read as latin1.
 */
export function parseHeaders(message: Uint8Array | string): Map<string, string[]> {
  const text = typeof message === "string" ? message : Buffer.from(message).toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const fields = new Map<string, string[]>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return fields;
}

export type AutoReplyDecision = { send: true } | { send: false; reason: string };

/** Whether the message in `entry` (with `headers`) may be answered for `mailboxAddress`. */
export function autoReplyDecision(
  entry: QueueEntry,
  headers: Map<string, string[]>,
  mailboxAddress: string,
  gate: Policy["autoResponders"],
): AutoReplyDecision {
  if (gate === "disabled") return { send: false, reason: "auto-responders disabled by policy" };
  if (gate === "require-spf-pass" && entry.spf !== "pass") {
    return { send: false, reason: `sender SPF is ${entry.spf ?? "unknown"}, policy requires pass` };
  }
  const sender = entry.mailFrom;
  if (sender === "" || entry.dsnOf !== undefined) return { send: false, reason: "null sender" };
  if (sender.toLowerCase() === mailboxAddress.toLowerCase()) return { send: false, reason: "own address" };
  const at = sender.lastIndexOf("@");
  if (robotLocalPart.test(at < 0 ? sender : sender.slice(0, at))) {
    return { send: false, reason: "robot sender address" };
  }
  const autoSubmitted = headers.get("auto-submitted")?.[0];
  if (autoSubmitted !== undefined && !/^no\b/i.test(autoSubmitted)) {
    return { send: false, reason: "automatic message" };
  }
  if (headers.has("list-id") || headers.has("list-unsubscribe"))
    return { send: false, reason: "mailing list" };
  const precedence = headers.get("precedence")?.[0]?.toLowerCase();
  if (precedence && ["bulk", "list", "junk"].includes(precedence)) {
    return { send: false, reason: `precedence ${precedence}` };
  }
  return { send: true };
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ").trim();
}

function encodeHeader(value: string): string {
  const line = oneLine(value);
  return /^[\x20-\x7e]*$/.test(line) ? line : `=?UTF-8?B?${Buffer.from(line, "utf8").toString("base64")}?=`;
}

/** The reply itself: text/plain, marked Auto-Submitted: auto-replied, threaded to the original. */
export function buildAutoReply(options: {
  from: string;
  to: string;
  settings: AutoReplySettings;
  original: Map<string, string[]>;
  hostname: string;
  id: string;
  date?: Date;
}): Buffer {
  const originalSubject = options.original.get("subject")?.[0] ?? "";
  const subject = options.settings.subject.trim() || `Auto: ${originalSubject}`.trim();
  const messageId = options.original.get("message-id")?.[0];
  const isUsableId = messageId !== undefined && /^<[^<>\s]+>$/.test(messageId);
  const references = [
    ...(options.original.get("references")?.[0]?.match(/<[^<>\s]+>/g) ?? []).slice(-10),
    ...(isUsableId ? [messageId] : []),
  ];
  const body = Buffer.from(options.settings.body.replace(/\r?\n/g, "\r\n"), "utf8")
    .toString("base64")
    .replace(/.{76}/g, "$&\r\n");
  const lines = [
    `From: <${options.from}>`,
    `To: <${options.to}>`,
    `Subject: ${encodeHeader(subject)}`,
    `Date: ${(options.date ?? new Date()).toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${options.id}.auto-reply@${options.hostname}>`,
    ...(isUsableId ? [`In-Reply-To: ${messageId}`] : []),
    ...(references.length > 0 ? [`References: ${references.join(" ")}`] : []),
    "Auto-Submitted: auto-replied",
    "Precedence: bulk",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    body,
    "",
  ];
  return Buffer.from(lines.join("\r\n"), "utf8");
}

/**
 * When each mailbox last answered each sender, one small JSON file per mailbox under
 * <stateDir>/auto-reply, replaced atomically. Claims for one mailbox are serialized in this process.
 */
export class AutoReplyLedger {
  readonly #dir: string;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(stateDir: string) {
    this.#dir = path.join(stateDir, "auto-reply");
  }

  /**
   * Records a reply from `mailbox` to `sender` now and resolves true, unless one was recorded less than
   * `intervalHours` ago (false). Recorded before the reply is queued: a crash in between loses one
   * reply rather than sending two.
   */
  claim(mailbox: string, sender: string, intervalHours: number, now = Date.now()): Promise<boolean> {
    const file = path.join(
      this.#dir,
      `${createHash("sha256").update(mailbox.toLowerCase()).digest("hex")}.json`,
    );
    const previous = this.#locks.get(file) ?? Promise.resolve();
    const run = previous.then(async () => {
      const sent = await readLedger(file);
      const key = sender.toLowerCase();
      const last = sent[key];
      const interval = intervalHours * 3_600_000;
      if (last !== undefined && now - last < interval) return false;
      // forget senders whose interval is over: the file stays as small as the recent correspondents
      const kept = Object.fromEntries(Object.entries(sent).filter(([, at]) => now - at < interval));
      kept[key] = now;
      await mkdirDurable(this.#dir);
      await writeFileAtomic(file, JSON.stringify(kept), { mode: 0o600 });
      return true;
    });
    const settled = run.catch(() => undefined);
    this.#locks.set(file, settled);
    void settled.then(() => {
      if (this.#locks.get(file) === settled) this.#locks.delete(file);
    });
    return run;
  }
}

async function readLedger(file: string): Promise<Record<string, number>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    if (!parsed || typeof parsed !== "object") return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((pair): pair is [string, number] => typeof pair[1] === "number"),
    );
  } catch (error) {
    // missing, or cut short by something other than this code: start afresh rather than never reply
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || error instanceof SyntaxError) return {};
    throw error;
  }
}
