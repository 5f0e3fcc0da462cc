// Frames are single JSON text messages. Parsing never throws: it returns a reason a peer can be told.
import type { z } from "zod";
import { MAX_FRAME_BYTES } from "./messages";

export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: string };

export function parseFrame<T>(schema: z.ZodType<T>, data: unknown): ParseResult<T> {
  const text = typeof data === "string" ? data : Buffer.isBuffer(data) ? data.toString("utf8") : null;
  if (text === null) return { ok: false, reason: "frame is not text" };
  if (Buffer.byteLength(text) > MAX_FRAME_BYTES) return { ok: false, reason: "frame too large" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "frame is not valid JSON" };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      reason: `invalid message: ${first?.path.join(".") || "(root)"} ${first?.message ?? ""}`.trim(),
    };
  }
  return { ok: true, message: parsed.data };
}

export function encodeFrame(message: { type: string; [key: string]: unknown }): string {
  return JSON.stringify(message);
}
