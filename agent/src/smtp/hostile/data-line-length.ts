// Rule data.line-length: a message with a line longer than 1,000 octets including CRLF (RFC 5321
// 4.5.3.1.6) is refused with 552 — we do not truncate or re-wrap, which would silently change the
// message and break DKIM body hashes. Every mainstream client wraps (quoted-printable/base64), so only
// broken or hostile senders hit this; they get a clear permanent error instead of mail that a stricter
// hop further on would mangle. Memory is not the concern: DATA is never buffered line by line.
import type { DataInspector, DataRule } from "./data-rule";

/** Octets of one line, CRLF included. */
export const MAX_DATA_LINE_OCTETS = 1000;
const LF = 0x0a;

class LineLengthInspector implements DataInspector {
  /** Octets of the current line seen so far (its CR included, once it arrives). */
  #line = 0;

  feed(chunk: Buffer): boolean {
    let start = 0;
    for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, start)) {
      // + 1 for the LF itself.
      if (this.#line + (at - start) + 1 > MAX_DATA_LINE_OCTETS) return true;
      this.#line = 0;
      start = at + 1;
    }
    this.#line += chunk.length - start;
    // The line is unfinished; it is already too long if even its LF would not fit.
    return this.#line + 1 > MAX_DATA_LINE_OCTETS;
  }

  finish(): boolean {
    return false;
  }
}

export const dataLineLength: DataRule = {
  id: "data.line-length",
  reply: {
    code: 552,
    message: `5.6.0 Message has a line longer than ${MAX_DATA_LINE_OCTETS - 2} octets (RFC 5321 4.5.3.1.6)`,
  },
  inspector: () => new LineLengthInspector(),
};
