// Rule data.nul-byte: a message containing a NUL byte is refused. Neither 7bit nor 8BITMIME content may
// carry NUL (RFC 5321 2.4, RFC 6152), we do not offer BINARYMIME, and NULs truncate strings in C-based
// downstream software (mail filters, IMAP servers reading the Maildir).
import type { DataInspector, DataRule } from "./data-rule";

class NulByteInspector implements DataInspector {
  feed(chunk: Buffer): boolean {
    return chunk.indexOf(0) !== -1;
  }

  finish(): boolean {
    return false;
  }
}

export const dataNulByte: DataRule = {
  id: "data.nul-byte",
  reply: { code: 550, message: "5.6.0 NUL byte not allowed in message" },
  inspector: () => new NulByteInspector(),
};
