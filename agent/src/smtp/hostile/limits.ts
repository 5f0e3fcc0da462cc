// Session limits an operator may tune in the agent settings (`smtp.*`), with their defaults. The fixed
// protocol limits (line lengths, recipients, error and junk-command budgets) live in their rule files.
export interface SessionLimits {
  /**
   * A session that completes no command line for this long gets 421 and is closed. Bytes that do not
   * finish a line do not count, so a client trickling a byte every few seconds is closed too; during
   * DATA the client must keep up MIN_DATA_BYTES_PER_SECOND. Also bounds TLS handshakes.
   */
  idleTimeoutMs: number;
  /** Concurrent sessions per listener; the next one gets 421 at once. */
  maxClients: number;
  /** Concurrent sessions per listener from one client address. */
  maxClientsPerAddress: number;
}

export const defaultSessionLimits: SessionLimits = {
  // smtp-server's own default idle timeout, which the agent ran with before these guards existed.
  idleTimeoutMs: 60_000,
  maxClients: 500,
  // Postfix's smtpd_client_connection_count_limit.
  maxClientsPerAddress: 50,
};

export function resolveSessionLimits(limits: Partial<SessionLimits> | undefined): SessionLimits {
  const resolved = { ...defaultSessionLimits };
  for (const key of Object.keys(resolved) as (keyof SessionLimits)[]) {
    const value = limits?.[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
