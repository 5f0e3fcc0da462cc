// Counts recent events per key (an address, a session, a user) in a sliding window: what every rule of
// row 21 asks — "N of these within Y minutes?". Each key keeps at most the newest `limit` times, and
// keys with nothing recent are swept, so a flood of addresses cannot grow it without bound.
const SWEEP_EVERY = 1000;

export class EventWindow {
  readonly #events = new Map<string, number[]>();
  #adds = 0;
  #longestWindowMs = 0;

  /** Records an event at `now` and returns how many fell within the last `windowMs` (at most `limit`). */
  add(key: string, now: number, windowMs: number, limit: number): number {
    this.#longestWindowMs = Math.max(this.#longestWindowMs, windowMs);
    if (++this.#adds % SWEEP_EVERY === 0) this.#sweep(now);
    const times = (this.#events.get(key) ?? []).filter((time) => time > now - windowMs);
    times.push(now);
    if (times.length > limit) times.splice(0, times.length - limit);
    this.#events.set(key, times);
    return times.length;
  }

  clear(key: string): void {
    this.#events.delete(key);
  }

  #sweep(now: number): void {
    for (const [key, times] of this.#events) {
      if ((times.at(-1) ?? 0) <= now - this.#longestWindowMs) this.#events.delete(key);
    }
  }
}
