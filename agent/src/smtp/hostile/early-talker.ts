// Rule connect.early-talker: on the inbound listener a client waits `greetingDelayMs` for the 220
// greeting, and one that talks first gets "421 You talk too soon" (smtp-server's own pause and reply):
// spam bots fire their commands without listening, real MTAs wait. Like Postfix's postscreen
// (postscreen_greet_wait / postscreen_greet_ttl), an address that waited politely is remembered for
// `greetingMemoryHours` and greeted at once afterwards, so a sending MTA pays the pause once rather than
// on every connection. Submission ports are never paused: their clients are users' mail apps, which
// authenticate anyway.
export const EARLY_TALKER_RULE = "connect.early-talker";

/** Addresses remembered at most; the oldest are forgotten first (a flood of new addresses stays bounded). */
const MAX_REMEMBERED = 100_000;

export class GreetingPause {
  readonly #delayMs: number;
  readonly #memoryMs: number;
  /** address → time it passed; Map order is insertion order, so the first key is the oldest. */
  readonly #passed = new Map<string, number>();

  constructor(delayMs: number, memoryHours: number) {
    this.#delayMs = delayMs;
    this.#memoryMs = memoryHours * 3_600_000;
  }

  /** How long this client waits for its greeting. */
  delayFor(address: string, now: number): number {
    if (this.#delayMs === 0) return 0;
    const passedAt = this.#passed.get(address);
    if (passedAt !== undefined && now - passedAt < this.#memoryMs) return 0;
    return this.#delayMs;
  }

  /** The client waited for its greeting without talking. */
  passed(address: string, now: number): void {
    if (this.#memoryMs === 0) return;
    this.#passed.delete(address);
    this.#passed.set(address, now);
    if (this.#passed.size > MAX_REMEMBERED) {
      const oldest = this.#passed.keys().next().value;
      if (oldest !== undefined) this.#passed.delete(oldest);
    }
  }

  /** The client talked before its greeting: it pays the pause again next time. */
  talkedEarly(address: string): void {
    this.#passed.delete(address);
  }
}
