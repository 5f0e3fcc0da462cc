// The two things the hub does to a socket besides reading it: send a typed frame, close with a code.
// Both must never throw: ws throws on a close reason over 123 bytes or a send on a closed socket, and a
// refusal path that throws would take the hub down with it.
import type WebSocket from "ws";
import { encodeFrame, type HubMessage } from "@mailwarden/protocol";

/** RFC 6455 allows 123 bytes of reason in a close frame. */
const MAX_CLOSE_REASON_BYTES = 123;

export function truncateCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  const chars = Array.from(reason);
  while (chars.length > 0 && Buffer.byteLength(chars.join("") + "...") > MAX_CLOSE_REASON_BYTES) chars.pop();
  return chars.join("") + "...";
}

export function sendMessage(ws: WebSocket, message: HubMessage): boolean {
  if (ws.readyState !== ws.OPEN) return false;
  ws.send(encodeFrame(message));
  return true;
}

export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
  try {
    ws.close(code, truncateCloseReason(reason));
  } catch {
    ws.terminate();
  }
}
