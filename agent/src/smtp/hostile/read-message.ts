// Reads a message from smtp-server's DATA stream through the DATA guards, in their fixed order:
// size, bare line endings (smuggling), NUL bytes, line length. Memory stays bounded: once the size
// limit is passed or a rule is broken, chunks are no longer kept, only drained to the end of DATA (a
// stream that is not read would stall the session). The caller answers with the returned reply.
import type { Logger } from "pino";
import { dataBareLineEnding } from "./data-bare-line-ending";
import { dataLineLength } from "./data-line-length";
import { dataNulByte } from "./data-nul-byte";
import type { DataRule } from "./data-rule";
import { logGuardDecision, type GuardLogFields, type Reply } from "./types";

export const dataRules: readonly DataRule[] = [dataBareLineEnding, dataNulByte, dataLineLength];

export const messageSizeRule = {
  id: "data.message-size",
  reply: { code: 552, message: "5.3.4 Message size exceeds fixed maximum message size" },
} as const;

export type ReadMessageResult =
  { ok: true; body: Buffer } | { ok: false; rule: string; reply: Reply; bytes: number };

export interface ReadMessageOptions {
  maxBytes: number;
  logger?: Logger | undefined;
  /** Added to the decision's log line (session, listener, message id…). */
  logFields?: GuardLogFields | undefined;
}

export async function readMessage(
  stream: AsyncIterable<unknown> & { sizeExceeded?: boolean },
  options: ReadMessageOptions,
): Promise<ReadMessageResult> {
  const inspectors = dataRules.map((rule) => ({ rule, inspector: rule.inspector() }));
  const chunks: Buffer[] = [];
  let bytes = 0;
  let broken: DataRule | null = null;
  for await (const item of stream) {
    const chunk = item as Buffer;
    bytes += chunk.length;
    if (broken || bytes > options.maxBytes) continue;
    for (const { rule, inspector } of inspectors) {
      if (inspector.feed(chunk)) {
        broken = rule;
        break;
      }
    }
    if (!broken) chunks.push(chunk);
  }
  if (!broken && bytes <= options.maxBytes) {
    broken = inspectors.find(({ inspector }) => inspector.finish())?.rule ?? null;
  }
  const refusal =
    stream.sizeExceeded || bytes > options.maxBytes
      ? { rule: messageSizeRule.id, reply: messageSizeRule.reply }
      : broken && { rule: broken.id, reply: broken.reply };
  if (refusal) {
    logGuardDecision(options.logger, "data", refusal, { ...options.logFields, bytes });
    return { ok: false, ...refusal, bytes };
  }
  return { ok: true, body: Buffer.concat(chunks, bytes) };
}
