// Bounces: a delivery status notification (RFC 3464, multipart/report) to the original sender when
// recipients failed for good, and the policy gate that decides whether to send one at all (row 6):
// bounces go only to senders we have reason to believe are real, so forged senders get no backscatter.
import { findDomain, findListByBounceAddress, splitAddress, type ActiveConfig } from "../smtp/active-config";
import type { QueueEntry } from "../queue/queue";

export interface BounceDecision {
  send: boolean;
  reason: string;
}

/**
 * The sender's domain policy `bounces` (the server's for senders of other domains): `disabled` never,
 * `enabled` always, `require-spf-pass` only when the message passed SPF at reception — or was submitted
 * by an authenticated user, who proved who they are more strongly than SPF can. Never to the null sender.
 */
export function bounceDecision(entry: QueueEntry, config: ActiveConfig): BounceDecision {
  if (entry.mailFrom === "" || entry.dsnOf !== undefined) return { send: false, reason: "null sender" };
  // Row 22: copies of list mail go out from <list>-bounces; their failures count in the list's bounce
  // ledger (../lists/bounce-ledger.ts) instead.
  if (findListByBounceAddress(config, entry.mailFrom)) return { send: false, reason: "mailing list copy" };
  const local = findDomain(config, splitAddress(entry.mailFrom).domain);
  const mode = local?.policy.bounces ?? config.server.bounces;
  switch (mode) {
    case "disabled":
      return { send: false, reason: "bounces disabled by policy" };
    case "enabled":
      return { send: true, reason: "bounces enabled by policy" };
    case "require-spf-pass":
      if (entry.spf === "pass") return { send: true, reason: "sender passed SPF" };
      if (entry.authenticatedUser) return { send: true, reason: "sender was authenticated" };
      return { send: false, reason: `SPF result was ${entry.spf ?? "not recorded"}, not pass` };
  }
}

export interface FailedRecipient {
  address: string;
  /** RFC 3463, e.g. 5.1.1 (4.4.7 when the retry schedule ran out). */
  status: string;
  /** The reply or problem, one line. */
  diagnostic: string;
  remoteMta?: string | undefined;
  lastAttemptAt?: string | undefined;
}

export interface DsnInput {
  /** This agent's hostname (Reporting-MTA, MAILER-DAEMON address). */
  reportingMta: string;
  dsnId: string;
  queueId: string;
  originalSender: string;
  arrivalDate: Date;
  failed: FailedRecipient[];
  /** The original message; only its header is returned. */
  original: Uint8Array;
  now?: Date;
}

export function buildDsn(input: DsnInput): Buffer {
  const now = input.now ?? new Date();
  const boundary = `=_mailwarden_${input.dsnId}`;
  const host = input.reportingMta;
  const clean = (text: string) => text.replace(/[\r\n]+\s*/g, " ").trim();
  const lines = (...parts: string[]) => parts.join("\r\n");

  const human = lines(
    `This is the mail system at ${host}.`,
    "",
    "Your message could not be delivered to one or more recipients. It has not been",
    "delivered to the address(es) below and will not be retried:",
    "",
    ...input.failed.map((recipient) => `  <${clean(recipient.address)}>: ${clean(recipient.diagnostic)}`),
    "",
    "The original message's header is attached.",
  );
  const perMessage = lines(
    `Reporting-MTA: dns; ${host}`,
    `X-Mailwarden-Queue-ID: ${input.queueId}`,
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
  );
  const perRecipient = input.failed.map((recipient) =>
    lines(
      `Final-Recipient: rfc822; ${clean(recipient.address)}`,
      "Action: failed",
      `Status: ${recipient.status}`,
      ...(recipient.remoteMta ? [`Remote-MTA: dns; ${clean(recipient.remoteMta).split(" ")[0]}`] : []),
      `Diagnostic-Code: ${/^\d{3}[ -]/.test(recipient.diagnostic) ? "smtp" : "x-mailwarden"}; ${clean(recipient.diagnostic)}`,
      ...(recipient.lastAttemptAt
        ? [`Last-Attempt-Date: ${rfc5322Date(new Date(recipient.lastAttemptAt))}`]
        : []),
    ),
  );
  const message = lines(
    `From: Mail Delivery System <MAILER-DAEMON@${host}>`,
    `To: <${clean(input.originalSender)}>`,
    "Subject: Undelivered Mail Returned to Sender",
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${input.dsnId}@${host}>`,
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    "",
    "This is a MIME-encapsulated message.",
    "",
    `--${boundary}`,
    "Content-Description: Notification",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    human,
    "",
    `--${boundary}`,
    "Content-Description: Delivery report",
    "Content-Type: message/delivery-status",
    "",
    perMessage,
    "",
    perRecipient.join("\r\n\r\n"),
    "",
    `--${boundary}`,
    "Content-Description: Undelivered message header",
    "Content-Type: text/rfc822-headers",
    "",
    headerOf(input.original),
    `--${boundary}--`,
    "",
  );
  return Buffer.from(message, "utf8");
}

/** The header block of a message (up to the first empty line), with CRLF line ends and a final CRLF. */
export function headerOf(message: Uint8Array): string {
  const text = Buffer.from(message).toString("utf8");
  const end = /\r?\n\r?\n/.exec(text);
  const header = end ? text.slice(0, end.index) : text;
  return header.replace(/\r?\n/g, "\r\n").slice(0, 64 * 1024) + "\r\n";
}

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function rfc5322Date(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return (
    `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
