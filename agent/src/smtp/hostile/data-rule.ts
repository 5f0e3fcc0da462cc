// The contract of a DATA guard: a streaming inspector fed the message chunk by chunk as smtp-server
// emits it (dot-unstuffed, terminator removed, chunk boundaries anywhere), so no rule ever needs the
// whole message or a line in memory.
import type { Reply } from "./types";

export interface DataInspector {
  /** true once the message breaks the rule; later chunks are not fed. */
  feed(chunk: Buffer): boolean;
  /** Called after the last chunk; true if the end of the message breaks the rule. */
  finish(): boolean;
}

export interface DataRule {
  id: string;
  reply: Reply;
  inspector(): DataInspector;
}
