// Rule session.idle-timeout: a session must make progress — complete a command line, or during DATA
// keep sending at MIN_DATA_BYTES_PER_SECOND — or it gets "421 4.4.2 … timeout exceeded" and is closed.
// smtp-server's own socketTimeout restarts on every byte received, so a slowloris client sending one
// byte every few seconds would hold its session forever. Here only whole lines and our own replies
// move the deadline; during DATA each byte extends it by 1/MIN_DATA_BYTES_PER_SECOND seconds, never
// past idleTimeoutMs from now (Postfix's smtpd_per_request_deadline with smtpd_min_data_rate, whose
// default is the same 500 bytes/s). While the client waits for us (a rule, AUTH, storing a message)
// the clock does not run.
import type { GuardDecision } from "./types";

export const MIN_DATA_BYTES_PER_SECOND = 500;

export class SessionDeadline {
  static readonly id = "session.idle-timeout";
  readonly #idleMs: number;
  #deadline: number;
  #dataBytesSeen = 0;

  constructor(idleMs: number, now: number) {
    this.#idleMs = idleMs;
    this.#deadline = now + idleMs;
  }

  /** A command line arrived, a reply went out, or the client is waiting for us. */
  progress(now: number): void {
    this.#deadline = now + this.#idleMs;
    this.#dataBytesSeen = 0;
  }

  /** `dataBytes`: message bytes received so far in the current DATA. */
  dataProgress(now: number, dataBytes: number): void {
    const fresh = dataBytes - this.#dataBytesSeen;
    if (fresh <= 0) return;
    this.#dataBytesSeen = dataBytes;
    const credit = (fresh * 1000) / MIN_DATA_BYTES_PER_SECOND;
    this.#deadline = Math.min(this.#deadline + credit, now + this.#idleMs);
  }

  isExpired(now: number): boolean {
    return now > this.#deadline;
  }

  decision(hostname: string): GuardDecision {
    return {
      rule: SessionDeadline.id,
      reply: { code: 421, message: `4.4.2 ${hostname} Error: timeout exceeded` },
    };
  }
}

/** How often the server looks for expired sessions: a fraction of the timeout, 25 ms … 1 s. */
export function sweepIntervalMs(idleMs: number): number {
  return Math.min(1000, Math.max(25, Math.floor(idleMs / 5)));
}
