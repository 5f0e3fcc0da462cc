// The faster end-of-DATA search must change nothing but speed: over thousands of random SMTP inputs —
// pipelined commands, messages full of dots, CRs and LFs (smuggling attempts among them), split into
// chunks anywhere — smtp-server's parser with it installed sees the very commands and messages, in the
// same order, as with its own loop.
import { SMTPStream } from "smtp-server/lib/smtp-stream.js";
import { describe, expect, it } from "vitest";
import { feedDataStream, originalFeedDataStream } from "./smtp-stream-dots";

type Feed = SMTPStream["_feedDataStream"];

/** What a parser using `feed` hands on for `chunks`: each command line and each message, in order. */
async function parse(feed: Feed, chunks: Buffer[]): Promise<string[]> {
  const events: string[] = [];
  const stream = new SMTPStream();
  stream._feedDataStream = feed;
  stream.oncommand = (command, callback) => {
    const line = command.toString("latin1");
    events.push(`command ${JSON.stringify(line)}`);
    if (/^data$/i.test(line)) {
      const data = stream.startDataMode();
      const parts: Buffer[] = [];
      data.on("data", (part: Buffer) => parts.push(part));
      data.on("end", () => {
        events.push(`message ${JSON.stringify(Buffer.concat(parts).toString("latin1"))}`);
        stream.continue();
      });
    }
    // later, as the agent's handlers answer (smtp-server's parser drops a continuation that a
    // synchronous handler triggers from inside continue())
    setImmediate(callback);
  };
  for (const chunk of chunks) await new Promise((resolve) => stream.write(chunk, resolve));
  await new Promise<void>((resolve) => stream.end(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return events;
}

let seed = 11;
const random = (below: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % below;
};

function randomChunks(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + random(random(4) === 0 ? 200 : 9);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe("the end-of-DATA search", () => {
  it("hands on the same commands and messages as smtp-server's loop, for random input and chunking", async () => {
    const pieces = [
      "a",
      "b c",
      "\r\n",
      "\n",
      "\r",
      ".",
      "..",
      "\r\n.\r\n",
      "\r\n..\r\n",
      "\n.\r\n",
      "\r\n.\n",
    ];
    for (let round = 0; round < 2500; round++) {
      const messages = 1 + random(3);
      let input = "";
      for (let message = 0; message < messages; message++) {
        const body = Array.from({ length: random(40) }, () => pieces[random(pieces.length)]).join("");
        // a message that starts with a dot-stuffed line, or is empty, now and then
        const start = ["", ".", "..", ".\r\n"][random(4)];
        input += `MAIL FROM:<a@b.test>\r\nDATA\r\n${start}${body}\r\n.\r\n`;
      }
      input += random(2) ? "QUIT\r\n" : "NOOP\r\n";
      const bytes = Buffer.from(input, "latin1");
      const chunks = randomChunks(bytes);
      const expected = await parse(originalFeedDataStream, chunks);
      expect(await parse(feedDataStream, chunks), `input ${JSON.stringify(input)}`).toEqual(expected);
    }
  });

  it("finds the end of a 1 MB message with dot-stuffed lines in it, as the original does", async () => {
    const line = "x".repeat(998);
    const body = Array.from({ length: 1000 }, (_, index) => (index % 97 === 0 ? `..${line}` : line)).join(
      "\r\n",
    );
    const bytes = Buffer.from(`DATA\r\n${body}\r\n.\r\nQUIT\r\n`, "latin1");
    const chunks = [64 * 1024, 16 * 1024].flatMap((size) => {
      const split: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) split.push(bytes.subarray(at, at + size));
      return [split];
    });
    for (const split of chunks) {
      const events = await parse(feedDataStream, split);
      expect(events).toEqual(await parse(originalFeedDataStream, split));
      expect(events).toHaveLength(3);
      expect(events[2]).toBe('command "QUIT"');
    }
  });
});
