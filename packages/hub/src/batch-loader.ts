// Many agents saying hello in the same few milliseconds (a reconnect storm) would each cost the database
// a round trip; a BatchLoader gathers the keys asked for during one short window and loads them with one
// set-based query, answering every caller from its result.
export interface BatchLoaderOptions {
  /** How long the first key of a batch waits for company (default 5 ms). */
  windowMs?: number;
  /** Keys per query at most (default 1,000). */
  maxBatch?: number;
}

interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

export class BatchLoader<K, V> {
  private pending = new Map<K, Waiter<V>[]>();
  private timer: NodeJS.Timeout | null = null;
  private readonly windowMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>,
    options: BatchLoaderOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 5;
    this.maxBatch = options.maxBatch ?? 1000;
  }

  /** The value for `key`, or undefined when the query found none; rejects if the query failed. */
  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (this.pending.size >= this.maxBatch) this.dispatch();
      else this.timer ??= setTimeout(() => this.dispatch(), this.windowMs);
    });
  }

  private dispatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size === 0) return;
    this.loadMany([...batch.keys()]).then(
      (values) => {
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(values.get(key));
      },
      (error: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
      },
    );
  }
}
