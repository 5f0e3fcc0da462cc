// The wire form of a stored message, whatever the file looks like and wherever the read chunks split
// it: CRLF line ends, a terminated last line, dot-stuffing, TOP's header-plus-N-lines, and sizes that
// match what RETR sends.
import { describe, expect, it } from "vitest";
import { encodeMessage, MessageEncoder, wireSizeOf, type EncoderOptions } from "./message-encoder";

/** Feeds `text` one byte at a time: every possible chunk boundary at once. */
function encodeBytewise(text: string, options: EncoderOptions): string {
  const parts: Buffer[] = [];
  const encoder = new MessageEncoder(options, (chunk) => parts.push(Buffer.from(chunk)));
  for (const byte of Buffer.from(text)) {
    if (encoder.isDone) break;
    encoder.push(Buffer.from([byte]));
  }
  encoder.end();
  return Buffer.concat(parts).toString();
}

function encode(text: string, options: EncoderOptions): string {
  return encodeMessage(Buffer.from(text), options).toString();
}

const wire = { dotStuff: true };

describe("MessageEncoder", () => {
  it("keeps CRLF, turns bare LF into CRLF and terminates the last line", () => {
    for (const run of [encode, encodeBytewise]) {
      expect(run("a\r\nb\r\n", wire)).toBe("a\r\nb\r\n");
      expect(run("a\nb\n\nc", wire)).toBe("a\r\nb\r\n\r\nc\r\n");
      expect(run("", wire)).toBe("");
    }
  });

  it("doubles a leading dot on every line, and only there", () => {
    for (const run of [encode, encodeBytewise]) {
      expect(run(".\r\n..x\r\na.b\r\n.", wire)).toBe("..\r\n...x\r\na.b\r\n..\r\n");
      expect(run(".first\n", { dotStuff: false })).toBe(".first\r\n");
    }
  });

  it("TOP sends the header, the blank line and N body lines", () => {
    const message = "A: 1\r\nB: 2\r\n\r\nline 1\nline 2\r\nline 3\r\n";
    for (const run of [encode, encodeBytewise]) {
      expect(run(message, { dotStuff: true, bodyLines: 0 })).toBe("A: 1\r\nB: 2\r\n\r\n");
      expect(run(message, { dotStuff: true, bodyLines: 2 })).toBe("A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\n");
      expect(run(message, { dotStuff: true, bodyLines: 99 })).toBe(
        "A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
      );
      expect(run("A: header only", { dotStuff: true, bodyLines: 0 })).toBe("A: header only\r\n");
    }
  });

  it("sizes a message as the octets RETR sends before dot-stuffing", () => {
    const message = "Subject: x\n\n.dot\nend";
    const expected = encode(message, { dotStuff: false });
    const chunks = [Buffer.from("Subject: x\r"), Buffer.from("\n\n.d"), Buffer.from("ot\nend")];
    expect(wireSizeOf(chunks)).toBe(Buffer.byteLength(expected));
    expect(wireSizeOf([Buffer.from(message)])).toBe(Buffer.byteLength(expected));
  });
});
