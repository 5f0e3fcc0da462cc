// Row 20's counters: messages sent per mailbox and per domain in sliding windows (the last hour, the
// last day), kept in memory — a restart forgets them, which the policy accepts. A message is counted
// by `tryReserve`, which checks every limit and counts under every key in one synchronous step, so two
// sessions finishing DATA at the same moment can never both take the last slot. A message that is not
// queued after all gives its slot back with `release`.

export interface CounterLimit {
  /** e.g. "mailbox:alice@example.test" or "domain:example.test". */
  key: string;
  windowMs: number;
  max: number;
}

export interface Reservation {
  release(): void;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; limit: CounterLimit };

/** The longest window kept; older entries are dropped. */
const RETENTION_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;

export class OutboundCounters {
  /** key → send times (ms), oldest first. */
  readonly #sent = new Map<string, number[]>();
  #lastSweep = 0;

  /** The first limit already reached, or null when one more message fits under all of them. */
  firstReached(limits: readonly CounterLimit[], now = Date.now()): CounterLimit | null {
    return limits.find((limit) => this.count(limit.key, limit.windowMs, now) >= limit.max) ?? null;
  }

  /** Messages counted under `key` in the `windowMs` before `now`. */
  count(key: string, windowMs: number, now = Date.now()): number {
    const times = this.#sent.get(key);
    if (!times) return 0;
    const since = now - windowMs;
    let low = 0;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (times[middle]! > since) high = middle;
      else low = middle + 1;
    }
    return times.length - low;
  }

  tryReserve(limits: readonly CounterLimit[], now = Date.now()): ReserveResult {
    this.#sweep(now);
    const reached = this.firstReached(limits, now);
    if (reached) return { ok: false, limit: reached };
    const counted: [key: string, at: number][] = [];
    for (const key of new Set(limits.map((limit) => limit.key))) {
      const times = this.#sent.get(key) ?? [];
      // Kept in order even if the clock steps back, for count()'s binary search.
      const at = Math.max(now, times.at(-1) ?? now);
      times.push(at);
      this.#sent.set(key, times);
      counted.push([key, at]);
    }
    let isReleased = false;
    return {
      ok: true,
      reservation: {
        release: () => {
          if (isReleased) return;
          isReleased = true;
          for (const [key, at] of counted) {
            const times = this.#sent.get(key);
            const index = times?.lastIndexOf(at) ?? -1;
            if (times && index >= 0) times.splice(index, 1);
          }
        },
      },
    };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const [key, times] of this.#sent) {
      const fresh = times.filter((time) => time > now - RETENTION_MS);
      if (fresh.length === 0) this.#sent.delete(key);
      else this.#sent.set(key, fresh);
    }
  }
}
