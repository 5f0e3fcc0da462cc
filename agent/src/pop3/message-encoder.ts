// How a stored message goes over the POP3 wire (RFC 1939 §3): every line ends in CRLF (Maildir files
// written by other tools may use bare LF), the last line is terminated, and a line starting with "."
// gets one more "." (dot-stuffing). TOP stops after the header and N body lines. The sizes STAT and
// LIST report come from the same encoder with stuffing off, so they are exactly what RETR sends before
// stuffing, as the RFC asks.

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from("\r\n");
const EXTRA_DOT = Buffer.from(".");

export interface EncoderOptions {
  /** Double a leading "." on each line (on for the wire, off to count the size). */
  dotStuff: boolean;
  /** TOP: stop after the blank line ending the header and this many body lines. */
  bodyLines?: number | undefined;
}

export class MessageEncoder {
  readonly #options: EncoderOptions;
  readonly #emit: (chunk: Buffer) => void;
  #atLineStart = true;
  /** Last input byte seen, so a CRLF split across two chunks is still recognised. */
  #previous = -1;
  #lineLength = 0;
  #isInBody = false;
  #bodyLinesSent = 0;
  #isDone = false;
  #hasOutput = false;

  constructor(options: EncoderOptions, emit: (chunk: Buffer) => void) {
    this.#options = options;
    this.#emit = emit;
  }

  /** True once TOP has sent all it should: the caller may stop reading the file. */
  get isDone(): boolean {
    return this.#isDone;
  }

  push(chunk: Buffer): void {
    let position = 0;
    while (position < chunk.length && !this.#isDone) {
      if (this.#atLineStart) {
        if (this.#options.dotStuff && chunk[position] === DOT) this.#out(EXTRA_DOT);
        this.#atLineStart = false;
      }
      const lf = chunk.indexOf(LF, position);
      if (lf < 0) {
        this.#out(chunk.subarray(position));
        this.#lineLength += chunk.length - position;
        this.#previous = chunk[chunk.length - 1]!;
        return;
      }
      const before = lf > position ? chunk[lf - 1] : this.#previous;
      const lineLength = this.#lineLength + (lf - position);
      if (before === CR) {
        this.#out(chunk.subarray(position, lf + 1));
      } else {
        this.#out(chunk.subarray(position, lf));
        this.#out(CRLF);
      }
      const isBlank = lineLength === 0 || (lineLength === 1 && before === CR);
      this.#previous = LF;
      this.#lineLength = 0;
      this.#atLineStart = true;
      position = lf + 1;
      this.#endOfLine(isBlank);
    }
  }

  /** Terminates an unterminated last line. */
  end(): void {
    if (this.#isDone || !this.#hasOutput || this.#previous === LF) return;
    this.#out(CRLF);
  }

  #endOfLine(isBlank: boolean): void {
    const limit = this.#options.bodyLines;
    if (limit === undefined) return;
    if (this.#isInBody) {
      this.#bodyLinesSent += 1;
      if (this.#bodyLinesSent >= limit) this.#isDone = true;
    } else if (isBlank) {
      this.#isInBody = true;
      if (limit === 0) this.#isDone = true;
    }
  }

  #out(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#hasOutput = true;
    this.#emit(chunk);
  }
}

/** Bytes RETR sends for this content before dot-stuffing (the size in STAT and LIST). */
export function wireSizeOf(chunks: Iterable<Buffer>): number {
  let size = 0;
  const encoder = new MessageEncoder({ dotStuff: false }, (chunk) => (size += chunk.length));
  for (const chunk of chunks) encoder.push(chunk);
  encoder.end();
  return size;
}

/** The whole wire form of a small message (tests, and anything that is already in memory). */
export function encodeMessage(content: Buffer, options: EncoderOptions): Buffer {
  const parts: Buffer[] = [];
  const encoder = new MessageEncoder(options, (chunk) => parts.push(chunk));
  encoder.push(content);
  encoder.end();
  return Buffer.concat(parts);
}
