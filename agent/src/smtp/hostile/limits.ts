// Session limits an operator may tune in the agent settings (`smtp.*`), with their defaults. The fixed
// protocol limits (line lengths, recipients, error and junk-command budgets) live in their rule files;
// the connection limits are policy (row 15, ./connection-limits.ts).
export interface SessionLimits {
  /**
   * A session that completes no command line for this long gets 421 and is closed. Bytes that do not
   * finish a line do not count, so a client trickling a byte every few seconds is closed too; during
   * DATA the client must keep up MIN_DATA_BYTES_PER_SECOND. Also bounds TLS handshakes.
   */
  idleTimeoutMs: number;
  /** Inbound only: the pause before the 220 greeting; a client talking earlier gets 421 (./early-talker). */
  greetingDelayMs: number;
  /** Inbound only: how long an address that waited for its greeting is greeted without the pause. */
  greetingMemoryHours: number;
}

export const defaultSessionLimits: SessionLimits = {
  // smtp-server's own default idle timeout, which the agent ran with before these guards existed.
  idleTimeoutMs: 60_000,
  // smtp-server's own fixed pause; postscreen waits 6 s, but only once a day per address, as we do.
  greetingDelayMs: 100,
  // postscreen_greet_ttl
  greetingMemoryHours: 24,
};

export function resolveSessionLimits(limits: Partial<SessionLimits> | undefined): SessionLimits {
  const resolved = { ...defaultSessionLimits };
  for (const key of Object.keys(resolved) as (keyof SessionLimits)[]) {
    const value = limits?.[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
