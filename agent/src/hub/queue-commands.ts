// The dashboard's queue commands (hub.command, PROTOCOL.md "Commands") turned into calls on the delivery
// worker, which owns the queue: this file only translates — list it in the protocol's bounded shape, act
// on the named messages, say which were no longer there. Nothing here touches the queue's files.
import {
  MAX_FRAME_BYTES,
  MAX_QUEUE_ERROR_LENGTH,
  MAX_QUEUE_LIST_ENTRIES,
  MAX_QUEUE_LIST_RECIPIENTS,
  queueListResultSchema,
  type HubCommand,
  type QueueActionResult,
  type QueueListResult,
  type QueueResetResult,
} from "@mailwarden/protocol";
import type { DeliveryWorker } from "../delivery/delivery-worker";

/** What the commands need of the delivery worker. */
export type QueueAdmin = Pick<DeliveryWorker, "list" | "retryNow" | "resetRetries" | "bounce" | "delete">;

export type CommandOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** The listing leaves room in one frame for the envelope around it. */
const LISTING_BUDGET_BYTES = MAX_FRAME_BYTES - 16 * 1024;
/** Messages whose retries are reset at the same time. */
const RESET_CONCURRENCY = 8;

export async function runQueueCommand(
  queue: QueueAdmin,
  command: Extract<HubCommand, { type: `queue.${string}` }>,
): Promise<CommandOutcome> {
  switch (command.type) {
    case "queue.list":
      return { ok: true, result: listQueue(queue) };
    case "queue.retry":
      return actOn(command.ids, (id) => queue.retryNow(id), "retry");
    case "queue.delete":
      return actOn(command.ids, (id) => queue.delete(id), "delete");
    case "queue.bounce":
      return actOn(command.ids, (id) => queue.bounce(id), "bounce");
    case "queue.resetRetries":
      return resetAll(queue);
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The oldest messages first, as many as fit in one frame (each is measured once, as it is added). */
export function listQueue(queue: QueueAdmin): QueueListResult {
  const listing = queue.list();
  const result: QueueListResult = { size: listing.size, oldestAt: listing.oldestReceivedAt, entries: [] };
  let bytes = Buffer.byteLength(JSON.stringify(result));
  for (const entry of listing.entries.slice(0, MAX_QUEUE_LIST_ENTRIES)) {
    const listed: QueueListResult["entries"][number] = {
      id: entry.id,
      from: clip(entry.mailFrom, 512),
      receivedAt: entry.receivedAt,
      // The worker's listing does not carry the message size yet.
      size: null,
      recipientCount: entry.recipients.length,
      ...(entry.isHeld && { held: true }),
      recipients: entry.recipients.slice(0, MAX_QUEUE_LIST_RECIPIENTS).map((recipient) => ({
        address: clip(recipient.address, 512),
        state: recipient.state,
        attempts: recipient.attempts,
        nextAttemptAt: recipient.nextAttemptAt,
        lastError: recipient.lastError === null ? null : clip(recipient.lastError, MAX_QUEUE_ERROR_LENGTH),
      })),
    };
    bytes += Buffer.byteLength(JSON.stringify(listed)) + 1;
    if (bytes > LISTING_BUDGET_BYTES) break;
    result.entries.push(listed);
  }
  // Never send what the hub would refuse as malformed.
  return queueListResultSchema.parse(result);
}

async function actOn(
  ids: string[],
  act: (id: string) => Promise<boolean>,
  verb: string,
): Promise<CommandOutcome> {
  const result: QueueActionResult = { done: [], missing: [] };
  const failures: string[] = [];
  for (const id of new Set(ids)) {
    try {
      if (await act(id)) result.done.push(id);
      else result.missing.push(id);
    } catch (error) {
      failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    const doneNote = result.done.length > 0 ? ` (done for ${result.done.join(", ")})` : "";
    return { ok: false, error: clip(`could not ${verb} ${failures.join("; ")}${doneNote}`, 2000) };
  }
  return { ok: true, result };
}

async function resetAll(queue: QueueAdmin): Promise<CommandOutcome> {
  const ids = queue.list().entries.map((entry) => entry.id);
  let count = 0;
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        if (await queue.resetRetries(id)) count++;
      } catch (error) {
        failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RESET_CONCURRENCY, ids.length) }, worker));
  if (failures.length > 0) {
    return {
      ok: false,
      error: clip(`reset ${count} message(s), but could not reset ${failures.join("; ")}`, 2000),
    };
  }
  const result: QueueResetResult = { count };
  return { ok: true, result };
}
