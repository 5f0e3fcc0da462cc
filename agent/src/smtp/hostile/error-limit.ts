// Rule session.error-limit: after MAX_ERRORS error replies (4xx/5xx) on one connection the client gets
// 421 and the connection is closed. Every refusal counts — syntax errors, unknown recipients (directory
// harvesting), failed AUTH (password guessing), refused messages — except 421 itself and the 452s of
// rcpt.max-recipients, which have their own budget. smtp-server separately closes after 10 unrecognized
// commands ("421 Error: too many unrecognized commands"). 20 is Postfix's smtpd_hard_error_limit.
import type { GuardDecision } from "./types";

export const MAX_ERRORS = 20;

export class ErrorBudget {
  static readonly id = "session.error-limit";
  #errors = 0;

  /** Counts one error reply; returns the 421 once the budget is spent. */
  countError(): GuardDecision | null {
    this.#errors++;
    if (this.#errors < MAX_ERRORS) return null;
    return {
      rule: ErrorBudget.id,
      reply: { code: 421, message: "4.7.0 Too many errors, closing connection" },
    };
  }
}
