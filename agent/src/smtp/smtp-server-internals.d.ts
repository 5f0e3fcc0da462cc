// Types for the one internal module of smtp-server that ./smtp-stream-dots.ts patches (no types ship for
// it): the parser that turns a connection's bytes into commands and, in DATA, into the message.
declare module "smtp-server/lib/smtp-stream.js" {
  import { Writable, type PassThrough } from "node:stream";

  export class SMTPStream extends Writable {
    constructor(options?: { maxCommandLength?: number });
    oncommand(command: Buffer, callback: () => void): void;
    startDataMode(maxBytes?: number): PassThrough;
    continue(): void;
    _feedDataStream(chunk: Buffer, done: () => void): void;
  }
}
