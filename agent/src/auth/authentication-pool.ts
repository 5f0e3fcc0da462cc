// Worker threads for mailauth. SPF/DKIM/DMARC/ARC verification is the agent's largest CPU cost per
// inbound message (a third of the main thread under load, bench/RESULTS.md); running it in worker
// threads leaves the main thread to the SMTP sessions and the queue, and uses the machine's other cores.
// The workers ask the main thread for every DNS answer, so the agent keeps one resolver and one cache;
// each answer comes with how long that cache keeps it, and a worker reuses its copy for that long — judged
// on the main thread's clock (each job and answer carries its `now`), so the cache has one clock. Each
// question carries its message's DNS deadline, and the main thread ends the wait there, on that clock.
// A worker that dies is replaced, and the messages it was checking fail (the client gets a 451 and
// retries), never pass unchecked.
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { DnsResolver, RecordType } from "../dns/resolver";
import {
  resolveBefore,
  type AuthenticationRequest,
  type Authenticator,
  type MessageAuthentication,
} from "./message-authentication";

/** Main thread → worker; `now` is the main thread's clock when the message was sent. */
export type FromPool =
  | { kind: "job"; job: number; now: number; request: AuthenticationRequest }
  | { kind: "dns-answer"; query: number; now: number; expiresAt: number; ok: true; value: unknown }
  | {
      kind: "dns-answer";
      query: number;
      now: number;
      expiresAt: number;
      ok: false;
      error: { message: string; code: string | undefined };
    };

/** Worker → main thread. */
export type ToPool =
  | { kind: "dns"; query: number; name: string; rrtype: RecordType; deadline: number }
  | { kind: "done"; job: number; ok: true; result: MessageAuthentication }
  | { kind: "done"; job: number; ok: false; error: string };

interface Pending {
  resolve(result: MessageAuthentication): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  jobs: Map<number, Pending>;
}

const entry = new URL("./authentication-thread.mjs", import.meta.url);

export class AuthenticationPool implements Authenticator {
  readonly #resolver: DnsResolver;
  readonly #logger: Logger;
  readonly #threads: Thread[] = [];
  #nextJob = 0;
  #closed = false;

  constructor(options: { size: number; resolver: DnsResolver; logger: Logger }) {
    this.#resolver = options.resolver;
    this.#logger = options.logger;
    for (let i = 0; i < Math.max(1, options.size); i++) this.#threads.push(this.#spawn());
  }

  get size(): number {
    return this.#threads.length;
  }

  authenticate(request: AuthenticationRequest): Promise<MessageAuthentication> {
    if (this.#closed) return Promise.reject(new Error("authentication pool is closed"));
    // the least busy thread; a copy of the message is moved to it rather than cloned
    const thread = this.#threads.reduce((best, next) => (next.jobs.size < best.jobs.size ? next : best));
    const job = this.#nextJob++;
    const message = new Uint8Array(request.message);
    return new Promise((resolve, reject) => {
      thread.jobs.set(job, { resolve, reject });
      thread.worker.postMessage(
        { kind: "job", job, now: Date.now(), request: { ...request, message } } satisfies FromPool,
        [message.buffer],
      );
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }

  #spawn(): Thread {
    const worker = new Worker(entry);
    const thread: Thread = { worker, jobs: new Map() };
    worker.unref();
    worker.on("message", (message: ToPool) => {
      if (message.kind === "dns") return this.#answer(worker, message);
      const pending = thread.jobs.get(message.job);
      thread.jobs.delete(message.job);
      if (!pending) return;
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(message.error));
    });
    worker.on("error", (error) => this.#logger.error({ err: error }, "authentication thread failed"));
    worker.on("exit", (code) => {
      for (const pending of thread.jobs.values()) {
        pending.reject(new Error(`authentication thread exited (${code})`));
      }
      thread.jobs.clear();
      if (this.#closed) return;
      this.#logger.error({ code }, "authentication thread exited; starting a new one");
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads[index] = this.#spawn();
    });
    return thread;
  }

  #answer(worker: Worker, query: Extract<ToPool, { kind: "dns" }>): void {
    const expiresAt = () => this.#resolver.cachedUntil?.(query.name, query.rrtype) ?? 0;
    resolveBefore(query.deadline, () => this.#resolver.resolve(query.name, query.rrtype), query.name).then(
      (value) =>
        worker.postMessage({
          kind: "dns-answer",
          query: query.query,
          now: Date.now(),
          expiresAt: expiresAt(),
          ok: true,
          value,
        } satisfies FromPool),
      (error: NodeJS.ErrnoException) =>
        worker.postMessage({
          kind: "dns-answer",
          query: query.query,
          now: Date.now(),
          expiresAt: expiresAt(),
          ok: false,
          error: { message: error?.message ?? String(error), code: error?.code },
        } satisfies FromPool),
    );
  }
}
