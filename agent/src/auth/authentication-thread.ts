// One authentication worker thread: runs mailauth (SPF, DKIM, DMARC, ARC) for the messages the main
// thread posts, so the RSA and hashing work of busy inbound traffic uses a second core. DNS lookups are
// not made here: each one is posted back to the main thread and answered by the agent's one resolver
// (and its cache), so every lookup still takes the same path. The answer is kept here for as long as
// that cache keeps it (no round trip per message for the sender's SPF, DKIM and DMARC records), on the
// main thread's clock: a job's lookups are judged at the `now` it was sent with (a job is short, and one
// clock means the cache's expiry is decided in one place — and follows a test's fake clock).
// Protocol: ./authentication-pool.ts.
import { parentPort } from "node:worker_threads";
import { answerKey, type RecordType } from "../dns/resolver";
import { runMailauth } from "./message-authentication";
import { installFastLineEndings } from "./mailauth-line-endings";
import { installPublicKeyCache } from "./public-key-cache";
import type { FromPool, ToPool } from "./authentication-pool";

const port = parentPort;
if (!port) throw new Error("authentication-thread runs only as a worker thread");
installPublicKeyCache();
installFastLineEndings();

type Answer = Extract<FromPool, { kind: "dns-answer" }>;
type Job = Extract<FromPool, { kind: "job" }>;

let nextQuery = 0;
const queries = new Map<number, { key: string; resolve(answer: Answer): void }>();
/** The main cache's answers, until it drops them; bounded like it, the oldest going first. */
const copies = new Map<string, Answer>();
const MAX_COPIES = 1000;

async function lookup(name: string, rrtype: RecordType, job: Job): Promise<unknown> {
  const key = answerKey(name, rrtype);
  let answer = copies.get(key);
  if (!answer || answer.expiresAt <= job.now) {
    copies.delete(key);
    const query = nextQuery++;
    answer = await new Promise<Answer>((resolve) => {
      queries.set(query, { key, resolve });
      port!.postMessage({
        kind: "dns",
        query,
        name,
        rrtype,
        deadline: job.request.dnsDeadline,
      } satisfies ToPool);
    });
  }
  if (answer.ok) return structuredClone(answer.value);
  // mailauth reads `code` (ENOTFOUND, ENODATA, ETIMEOUT...) to tell "none" from "temperror"
  throw lookupError(answer.error.message, answer.error.code);
}

/**
 * The error for a negative answer, without a stack trace: mailauth only reads its code, and DMARC's tree
 * walk alone meets a few "does not exist" answers per message; capturing the async stack of each cost
 * more than the rest of the lookup.
 */
function lookupError(message: string, code: string | undefined): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(message), { code });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

port.on("message", (message: FromPool) => {
  if (message.kind === "dns-answer") {
    const waiting = queries.get(message.query);
    queries.delete(message.query);
    if (!waiting) return;
    if (message.expiresAt > message.now) {
      copies.set(waiting.key, message);
      if (copies.size > MAX_COPIES) copies.delete(copies.keys().next().value!);
    }
    return waiting.resolve(message);
  }
  runMailauth(message.request, (name, rrtype) => lookup(name, rrtype, message)).then(
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
