// The faster bare-LF pass must change nothing but speed: over thousands of random messages (CR, LF, dot
// and text, split into chunks anywhere) it yields the very chunks mailauth's own loop yields and leaves
// the same last byte; and with it installed, mailauth still verifies a DKIM signature on a message whose
// line endings arrive as bare LFs (it hashes CRLF), and still fails one whose body was changed.
import { generateKeyPairSync } from "node:crypto";
import { authenticate, dkimSign, type DKIMSignOptions } from "mailauth";
import { describe, expect, it } from "vitest";
import {
  ensureLinebreaks,
  installFastLineEndings,
  mailauthMessageParser,
  type LineEndingParser,
} from "./mailauth-line-endings";

const original = mailauthMessageParser().prototype.ensureLinebreaks;

/** Every chunk `pass` yields for `chunks`, fed in order to one parser, and its last byte after. */
function run(pass: LineEndingParser["ensureLinebreaks"], chunks: Buffer[]) {
  const parser = { lastByte: undefined as number | undefined } as LineEndingParser;
  const out: string[] = [];
  for (const chunk of chunks)
    for (const piece of pass.call(parser, chunk)) out.push(piece.toString("latin1"));
  return { out, lastByte: parser.lastByte };
}

let seed = 7;
const random = (below: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % below;
};

describe("the bare-LF pass", () => {
  it("yields what mailauth's loop yields, chunk for chunk, for random input and chunking", () => {
    const alphabet = ["a", "\r", "\n", "\r\n", ".", "b c"];
    for (let round = 0; round < 3000; round++) {
      const text = Array.from({ length: random(60) }, () => alphabet[random(alphabet.length)]).join("");
      const bytes = Buffer.from(text, "latin1");
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + random(12);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      if (random(5) === 0) chunks.splice(random(chunks.length + 1), 0, Buffer.alloc(0));
      expect(run(ensureLinebreaks, chunks), JSON.stringify(text)).toEqual(run(original, chunks));
    }
  });

  it("once installed, mailauth still verifies DKIM on a message that arrives with bare LFs", async () => {
    installFastLineEndings();
    expect(mailauthMessageParser().prototype.ensureLinebreaks).toBe(ensureLinebreaks);
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;
    const resolver = async (name: string, rrtype: string) => {
      if (rrtype === "TXT" && name === "sel._domainkey.sender.test") return [[record]];
      throw Object.assign(new Error(`no ${rrtype} ${name}`), { code: "ENOTFOUND" });
    };
    const body = Array.from({ length: 200 }, (_, line) => `line ${line} of the body`).join("\r\n");
    const message = `From: a@sender.test\r\nTo: b@inbox.test\r\nSubject: lines\r\n\r\n${body}\r\n`;
    // mailauth 7.1 signs only what is in `signatureData`, whatever its typings say (as dkim-sign.ts)
    const options = {
      signatureData: [
        {
          signingDomain: "sender.test",
          selector: "sel",
          privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        },
      ],
    } as unknown as DKIMSignOptions;
    const signed = await dkimSign(message, options);
    const withBareLfs = (signed.signatures + message).replace(/\r\n/g, "\n");
    const verdict = async (text: string) =>
      (
        await authenticate(Buffer.from(text), {
          ip: "192.0.2.1",
          helo: "mta.sender.test",
          sender: "a@sender.test",
          resolver,
          disableArc: true,
        })
      ).dkim.results[0]?.status.result;
    expect(await verdict(withBareLfs)).toBe("pass");
    expect(await verdict(withBareLfs.replace("line 100", "line 1OO"))).not.toBe("pass");
  });
});
