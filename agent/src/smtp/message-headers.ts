// The header section of a received message, read the way the auth-match rule (row 3) needs it: the
// addresses of the From header. Only the header block is looked at (up to the first empty line), folded
// lines are unfolded, and a message with no From or with several From headers has no single author —
// the caller treats that as a mismatch, never as a pass.
import addressparser from "nodemailer/lib/addressparser";

export interface HeaderField {
  /** Lower-cased field name. */
  name: string;
  /** Unfolded value, without the leading space. */
  value: string;
}

/** The message's header fields in order; the body is not read. */
export function headerFields(message: Buffer): HeaderField[] {
  const end = headerEnd(message);
  const block = message.subarray(0, end).toString("latin1");
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      fields[fields.length - 1]!.value += line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** Where the body starts: after the first empty line (the whole message if there is none). */
export function headerEnd(message: Buffer): number {
  const crlf = message.indexOf("\r\n\r\n");
  const lf = message.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return message.length;
}

/** The author addresses of the single From header; null when there is none or more than one. */
export function fromAddresses(message: Buffer): string[] | null {
  const from = headerFields(message).filter((field) => field.name === "from");
  if (from.length !== 1) return null;
  const addresses = addressparser(from[0]!.value, { flatten: true })
    .map((entry) => entry.address.trim())
    .filter((address) => address.length > 0);
  return addresses.length > 0 ? addresses : null;
}

/** The Message-ID header's value (e.g. "<abc@example.test>"), for the mail log; undefined without one. */
export function messageIdOf(message: Buffer): string | undefined {
  const field = headerFields(message).find((candidate) => candidate.name === "message-id");
  return field && field.value.length > 0 ? field.value.slice(0, 998) : undefined;
}
