// Reads a delivery status notification (RFC 3464: a multipart/report whose message/delivery-status part
// has one field group per recipient) for the recipients it reports as failed: their address, status and
// diagnostic. This is what other servers send to a list's <list>-bounces address when a member's copy
// cannot be delivered after they accepted it (./bounce-report.ts). Anything that is not such a report —
// an auto-reply, a plain-text bounce of an old server, spam — reads as null.
import { parseHeaders } from "../delivery/auto-reply";

export interface ReportedFailure {
  /**
   * Lower-cased addresses the failure is about: Original-Recipient (the address the copy was sent to)
   * first when the report has it, then Final-Recipient (where it ended up, after forwarding).
   */
  recipients: string[];
  /** RFC 3463 status, e.g. 5.1.1. */
  status: string;
  /** The Diagnostic-Code's text (the remote server's reply), or "". */
  diagnostic: string;
}

/** Most MIME parts looked at: a report has three. */
const MAX_PARTS = 20;

/** The failed recipients of a DSN, or null when `message` is not one. */
export function readDeliveryStatus(message: Uint8Array): ReportedFailure[] | null {
  const text = Buffer.from(message).toString("latin1");
  const contentType = parseHeaders(text).get("content-type")?.[0] ?? "";
  if (!/^multipart\/report\b/i.test(contentType)) return null;
  const boundary = parameter(contentType, "boundary");
  if (!boundary) return null;
  const parts = text.split(`--${boundary}`).slice(1, MAX_PARTS + 1);
  for (const part of parts) {
    const body = part.replace(/^\r?\n/, "");
    const headers = parseHeaders(body);
    const partType = headers.get("content-type")?.[0] ?? "";
    if (!/^message\/(global-)?delivery-status\b/i.test(partType)) continue;
    const start = body.search(/\r?\n\r?\n/);
    if (start < 0) return null;
    let fields = body.slice(start).replace(/^\r?\n\r?\n/, "");
    if (/^base64$/i.test(headers.get("content-transfer-encoding")?.[0] ?? "")) {
      fields = Buffer.from(fields, "base64").toString("latin1");
    }
    return failuresIn(fields);
  }
  return null;
}

/** The field groups whose Action is failed (the per-message group has no Action). */
function failuresIn(fields: string): ReportedFailure[] {
  const groups = fields.split(/\r?\n[ \t]*\r?\n/);
  const failures: ReportedFailure[] = [];
  for (const group of groups) {
    const parsed = parseHeaders(group);
    const field = (name: string) => parsed.get(name)?.[0]?.trim() ?? "";
    if (field("action").toLowerCase() !== "failed") continue;
    const addresses = [addressOf(field("original-recipient")), addressOf(field("final-recipient"))];
    const recipients = [...new Set(addresses.filter((address) => address !== null))];
    if (recipients.length === 0) continue;
    const status = /^\d\.\d{1,3}\.\d{1,3}/.exec(field("status"))?.[0] ?? "5.0.0";
    failures.push({ recipients, status, diagnostic: afterType(field("diagnostic-code")) });
  }
  return failures;
}

/** "rfc822; <a@b>" → "a@b" (lower-cased); null when there is no address. */
function addressOf(value: string): string | null {
  const address = afterType(value).replace(/^<|>$/g, "").trim().toLowerCase();
  return /^[^@\s]+@[^@\s]+$/.test(address) ? address : null;
}

/** The part after "type;" of an address-type or diagnostic-type field. */
function afterType(value: string): string {
  const semicolon = value.indexOf(";");
  return (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim();
}

/** A Content-Type parameter's value, quoted or not. */
function parameter(contentType: string, name: string): string | null {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}
