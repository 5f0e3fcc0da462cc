// smtp-server 3.21 finds the end of DATA (CRLF "." CRLF) and the dot-stuffed lines ("..") with a
// JavaScript loop over every byte of the message, on the main thread: 0.13 ms of a 100 KiB message
// (bench/RESULTS.md), 13 ms of a 10 MB one during which no other session is served. This is
// smtp-server's own `_feedDataStream` with that loop replaced by a search for LF "." (Buffer#indexOf,
// native), which visits the same positions in the same order: everything else — the start-of-DATA
// checks that stop SMTP smuggling, the escape-dot removal, the four bytes kept across chunks, the byte
// count and the back-pressure — is upstream's, line for line. Tested against the original over thousands
// of random messages and chunkings (./smtp-stream-dots.test.ts). Worth an upstream fix; until then, this.
import { SMTPStream } from "smtp-server/lib/smtp-stream.js";

const END_SEQUENCE = Buffer.from("\r\n.\r\n");
const DATA_START_END = Buffer.from(".\r\n");
const LF_DOT = Buffer.from("\n.");

/** smtp-server's private state that `_feedDataStream` works with. */
interface StreamInternals {
  _dataStream: (NodeJS.WritableStream & { writable: boolean; destroyed: boolean }) | null;
  _lastBytes: Buffer | false;
  _atDataStart: boolean;
  _countDataBytes(length: number): void;
  _endDataMode(chunk: Buffer | false, remainder: Buffer, done: () => void): void;
  _feedDataStream(chunk: Buffer, done: () => void): void;
}

/** Upstream's `_feedDataStream` (smtp-server 3.21.6, dist/esm/smtp-stream.js), with an indexOf search. */
export function feedDataStream(this: StreamInternals, input: Buffer, done: () => void): void {
  // only called in data mode, which always has a stream
  const dataStream = this._dataStream!;
  let chunk = input;
  if (this._lastBytes && this._lastBytes.length) {
    chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
    this._lastBytes = false;
  }
  let len = chunk.length;
  // a chunk that starts DATA with "." CRLF ends it (an empty message); tested on _atDataStart, not on
  // the byte count, so a dot-stuffed first line cannot end DATA early (SMTP smuggling)
  if (this._atDataStart && len >= 3 && Buffer.compare(chunk.subarray(0, 3), DATA_START_END) === 0) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  // an escape dot as the very first byte
  if (this._atDataStart && len >= 2 && chunk[0] === 0x2e && chunk[1] === 0x2e) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // every dot that starts a line, i from 2 to len - 3 as upstream's loop goes
  for (let at = chunk.indexOf(LF_DOT, 1); at !== -1 && at + 1 < len - 2; at = chunk.indexOf(LF_DOT, at + 1)) {
    const i = at + 1;
    if (Buffer.compare(chunk.subarray(i - 2, i + 3), END_SEQUENCE) === 0) {
      const buf = chunk.subarray(0, i);
      this._countDataBytes(buf.length);
      this._endDataMode(buf, chunk.subarray(i + 3), done);
      return;
    }
    if (chunk[i + 1] === 0x2e) {
      const buf = chunk.subarray(0, i);
      this._lastBytes = false;
      this._countDataBytes(buf.length);
      if (dataStream.writable) dataStream.write(buf);
      const rest = chunk.subarray(i + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  // keep the last bytes: the end sequence may straddle this chunk and the next
  this._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (this._lastBytes.length < chunk.length) {
    const buf = chunk.subarray(0, chunk.length - this._lastBytes.length);
    this._countDataBytes(buf.length);
    if (dataStream.writable) {
      const handled = dataStream.write(buf);
      if (!handled && !dataStream.destroyed) {
        // a stream that the application destroys never drains, it only closes
        const onDrain = () => {
          dataStream.removeListener("drain", onDrain);
          dataStream.removeListener("close", onDrain);
          done();
        };
        dataStream.once("drain", onDrain);
        dataStream.once("close", onDrain);
      } else {
        done();
      }
    } else {
      done();
    }
  } else {
    done();
  }
}

/** smtp-server's own `_feedDataStream`, before installFastDataDots. */
export const originalFeedDataStream = SMTPStream.prototype._feedDataStream;

export function installFastDataDots(): void {
  (SMTPStream.prototype as unknown as StreamInternals)._feedDataStream = feedDataStream;
}
