// Rule data.bare-line-ending: a message containing a bare LF or a bare CR (not part of CRLF) is
// refused with "550 5.6.11" (RFC 5321 2.3.8 forbids them; Exchange answers the same code, Postfix's
// smtpd_forbid_bare_newline=reject and Sendmail 8.18 refuse them too). This is the SMTP smuggling
// defence: smtp-server itself only ends DATA at <CRLF>.<CRLF>, so "\n.\n", "\r.\r", "\n.\r\n" or
// "\r\n.\n" never end a message here — but it stores them as content, and a message we relay would
// carry them to a server that does end DATA there, which then sees a second, forged message.
// Refusing (rather than normalising to CRLF) also keeps DKIM signatures over the body intact for
// every message we do accept.
import type { DataInspector, DataRule } from "./data-rule";

const CR = 0x0d;
const LF = 0x0a;

class BareLineEndingInspector implements DataInspector {
  /** Last byte of the previous chunk, -1 before the first. */
  #last = -1;

  feed(chunk: Buffer): boolean {
    if (chunk.length === 0) return false;
    if (this.#last === CR && chunk[0] !== LF) return true;
    for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) {
      const before = at === 0 ? this.#last : chunk[at - 1];
      if (before !== CR) return true;
    }
    for (let at = chunk.indexOf(CR); at !== -1; at = chunk.indexOf(CR, at + 1)) {
      // A CR at the very end is judged with the next chunk's first byte.
      if (at < chunk.length - 1 && chunk[at + 1] !== LF) return true;
    }
    this.#last = chunk[chunk.length - 1]!;
    return false;
  }

  finish(): boolean {
    return this.#last === CR;
  }
}

export const dataBareLineEnding: DataRule = {
  id: "data.bare-line-ending",
  reply: { code: 550, message: "5.6.11 Bare LF or CR not allowed in message (SMTP smuggling protection)" },
  inspector: () => new BareLineEndingInspector(),
};
