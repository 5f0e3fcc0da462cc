// One authentication worker thread: runs mailauth (SPF, DKIM, DMARC, ARC) for the messages the main
// thread posts, so the RSA and hashing work of busy inbound traffic uses a second core. DNS lookups are
// not made here: each one is posted back to the main thread and answered by the agent's one resolver
// (and its cache), so every lookup still takes the same path. Protocol: ./authentication-pool.ts.
import { parentPort } from "node:worker_threads";
import type { RecordType } from "../dns/resolver";
import { runMailauth } from "./message-authentication";
import type { FromPool, ToPool } from "./authentication-pool";

const port = parentPort;
if (!port) throw new Error("authentication-thread runs only as a worker thread");

let nextQuery = 0;
const queries = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();

function lookup(name: string, rrtype: RecordType): Promise<unknown> {
  const query = nextQuery++;
  return new Promise((resolve, reject) => {
    queries.set(query, { resolve, reject });
    port!.postMessage({ kind: "dns", query, name, rrtype } satisfies ToPool);
  });
}

port.on("message", (message: FromPool) => {
  if (message.kind === "dns-answer") {
    const waiting = queries.get(message.query);
    queries.delete(message.query);
    if (!waiting) return;
    if (message.ok) return waiting.resolve(message.value);
    // mailauth reads `code` (ENOTFOUND, ENODATA, ETIMEOUT...) to tell "none" from "temperror"
    return waiting.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
  }
  runMailauth(message.request, lookup).then(
    (result) => port.postMessage({ kind: "done", job: message.job, ok: true, result } satisfies ToPool),
    (error: unknown) =>
      port.postMessage({
        kind: "done",
        job: message.job,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies ToPool),
  );
});
