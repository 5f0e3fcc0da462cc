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
