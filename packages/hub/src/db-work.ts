// Every database call the hub makes for an agent goes through here. At most `concurrency` run at once and
// the rest wait in memory, not in Prisma's pool (where waiting past its limit fails with P2028 and used
// to close healthy agents' sockets). A failure is retried with capped, jittered backoff: a pool timeout or
// a restarting Postgres delays an agent's bookkeeping, it never ends the agent's session.
import type { Logger } from "pino";

export interface DbWorkOptions {
  /** Calls in flight at once; keep it below the Prisma pool's size (the console shares the pool). */
  concurrency: number;
  /** Attempts per call before the error reaches the caller (default 6). */
  attempts?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  logger: Logger;
}

export class DbWork {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly attempts: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: DbWorkOptions) {
    this.attempts = options.attempts ?? 6;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
  }

  /** Runs `task` when a slot is free, retrying failures; rejects with the last error after the last attempt. */
  async run<T>(label: string, task: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.acquire();
      let failure: unknown;
      try {
        return await task();
      } catch (error) {
        failure = error;
      } finally {
        this.release();
      }
      if (attempt >= this.attempts) throw failure;
      const ceiling = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** (attempt - 1));
      const delayMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      this.options.logger.warn({ err: failure, label, attempt, delayMs }, "database call failed; retrying");
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
