// Reconnect delays: exponential from initialDelayMs, capped at maxDelayMs, with jitter so a fleet of
// agents cut off by the same hub restart does not reconnect in lock-step.
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** attempt 0 → about initialDelayMs; each failure doubles it up to the cap. "Equal jitter": [d/2, d]. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(attempt, 30);
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The wait before the next attempt when the hub refused the upgrade with a Retry-After (seconds, as an
 * HTTP 503 during a reconnect storm): never sooner than the hub asked, plus up to a second of jitter so
 * agents booked for the same second do not arrive together, and never less than the agent's own backoff.
 */
export function retryAfterDelay(
  retryAfterSeconds: number,
  backoffMs: number,
  random: () => number = Math.random,
): number {
  const asked = Math.min(600, Math.max(0, retryAfterSeconds)) * 1000;
  return Math.max(backoffMs, Math.round(asked + random() * 1000));
}

/** Reads an HTTP Retry-After header given in seconds; dates and garbage count as absent. */
export function parseRetryAfter(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^\d{1,6}$/.test(value.trim())) return null;
  return Number(value.trim());
}
