// The DATA guards see a message in whatever chunks TCP and smtp-server's parser produce; a smuggled
// terminator split across two chunks must be caught exactly like one inside a chunk.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { dataBareLineEnding } from "./data-bare-line-ending";
import { dataLineLength } from "./data-line-length";
import { dataNulByte } from "./data-nul-byte";
import type { DataRule } from "./data-rule";
import { readMessage } from "./read-message";

/** Feeds `message` cut at every possible point (and byte by byte); returns the verdicts seen. */
function verdicts(rule: DataRule, message: string): Set<boolean> {
  const bytes = Buffer.from(message, "latin1");
  const seen = new Set<boolean>();
  const splits: Buffer[][] = [[bytes], [...bytes].map((byte) => Buffer.from([byte]))];
  for (let cut = 1; cut < bytes.length; cut++) splits.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  for (const chunks of splits) {
    const inspector = rule.inspector();
    seen.add(chunks.some((chunk) => inspector.feed(chunk)) || inspector.finish());
  }
  return seen;
}

describe("data.bare-line-ending", () => {
  it.each([
    ["\\n.\\n", "hello\n.\nMAIL FROM:<x@evil.test>\r\n"],
    ["\\r.\\r", "hello\r.\rMAIL FROM:<x@evil.test>\r\n"],
    ["\\n.\\r\\n", "hello\n.\r\nMAIL FROM:<x@evil.test>\r\n"],
    ["\\r\\n.\\n", "hello\r\n.\nMAIL FROM:<x@evil.test>\r\n"],
    ["\\r.\\r\\n", "hello\r.\r\nMAIL FROM:<x@evil.test>\r\n"],
    ["a leading LF", "\nhello\r\n"],
    ["a lone CR at the end", "hello\r\nbye\r"],
  ])("refuses %s wherever the chunks are cut", (_name, message) => {
    expect(verdicts(dataBareLineEnding, message)).toEqual(new Set([true]));
  });

  it("accepts CRLF-only content, including dot-stuffed lines and a CRLF split across chunks", () => {
    const message = "Subject: ok\r\n\r\n.hidden dot\r\nMAIL FROM:<in the body@x>\r\n\r\n";
    expect(verdicts(dataBareLineEnding, message)).toEqual(new Set([false]));
  });
});

describe("data.nul-byte", () => {
  it("refuses a NUL anywhere and accepts 8-bit text", () => {
    expect(verdicts(dataNulByte, "a\r\nb\0c\r\n")).toEqual(new Set([true]));
    expect(verdicts(dataNulByte, "Grüße\r\n\x7f\xff\r\n")).toEqual(new Set([false]));
  });
});

describe("data.line-length", () => {
  it("allows 998 octets plus CRLF and refuses 999, wherever the chunks are cut", () => {
    expect(verdicts(dataLineLength, "x".repeat(998) + "\r\nshort\r\n")).toEqual(new Set([false]));
    expect(verdicts(dataLineLength, "short\r\n" + "x".repeat(999) + "\r\n")).toEqual(new Set([true]));
  });

  it("refuses an endless line before it ends", () => {
    const inspector = dataLineLength.inspector();
    expect(inspector.feed(Buffer.alloc(600, 0x78))).toBe(false);
    expect(inspector.feed(Buffer.alloc(600, 0x78))).toBe(true);
  });
});

describe("readMessage", () => {
  const stream = (chunks: string[], extra: { sizeExceeded?: boolean } = {}) =>
    Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk, "latin1"))), extra);

  it("returns the body of a clean message", async () => {
    const result = await readMessage(stream(["Subject: a\r\n", "\r\nbody\r\n"]), { maxBytes: 1000 });
    expect(result).toEqual({ ok: true, body: Buffer.from("Subject: a\r\n\r\nbody\r\n") });
  });

  it("names the first rule broken, in the fixed order", async () => {
    const result = await readMessage(stream(["a\0b\n.\n", "c\r\n"]), { maxBytes: 1000 });
    expect(result).toMatchObject({ ok: false, rule: "data.bare-line-ending", reply: { code: 550 } });
  });

  it("reports the size limit first and keeps no more than the limit in memory", async () => {
    const result = await readMessage(stream(["x\n".repeat(600), "y".repeat(600)]), { maxBytes: 1000 });
    expect(result).toMatchObject({ ok: false, rule: "data.message-size", reply: { code: 552 }, bytes: 1800 });
  });
});
