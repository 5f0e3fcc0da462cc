// How fast a hub lets agents in. A restart cuts a whole fleet off at once and every agent comes back
// within its backoff; admitted all together, their hellos, postures and config builds would starve the
// heartbeats of the agents already in. Up to `perSecond` connections a second are admitted (with one
// second's worth of burst); each one beyond is handed the next free second as its Retry-After, so the
// storm comes back spread evenly instead of all retrying at the same instant.
export class AdmissionGate {
  private tokens: number;
  private refilledAt: number;
  /** When the last refused connection was told to come back (ms since epoch). */
  private bookedUntil = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  /** 0 to admit now; otherwise the seconds the caller should wait (for a Retry-After header). */
  admit(): number {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    // Book a slot: the k-th refusal within a second's capacity is sent k / perSecond seconds later.
    this.bookedUntil = Math.max(this.bookedUntil, now) + 1000 / this.perSecond;
    return Math.min(120, Math.max(1, Math.ceil((this.bookedUntil - now) / 1000)));
  }
}
