// Rule rcpt.max-recipients: at most MAX_RECIPIENTS RCPT commands per mail transaction; the ones after
// get "452 4.5.3 Too many recipients" (RFC 5321 4.5.3.1.10: the client sends the rest in another
// transaction) without reaching the policy rules. Those 452s are not errors for session.error-limit,
// a client that pipelined 1,000 RCPTs must still be able to send DATA for the first 100, but past
// MAX_RECIPIENT_OVERSHOOT of them the client is flooding and is disconnected (Postfix:
// smtpd_recipient_limit 1000 / smtpd_recipient_overshoot_limit 1000; 100 is the RFC's minimum).
// RCPT commands are counted, not accepted recipients, so a repeated address cannot loop for free.
import type { CommandLine } from "./command";
import type { GuardDecision } from "./types";

export const MAX_RECIPIENTS = 100;
export const MAX_RECIPIENT_OVERSHOOT = 1000;

export class RecipientBudget {
  static readonly id = "rcpt.max-recipients";
  #transaction: object | null = null;
  #count = 0;
  #overshoot = 0;

  /** `transaction` is smtp-server's envelope object, which it replaces whenever a transaction ends. */
  check(command: CommandLine, transaction: object): GuardDecision | null {
    if (command.isAuthContinuation || command.name !== "RCPT") return null;
    if (transaction !== this.#transaction) {
      this.#transaction = transaction;
      this.#count = 0;
    }
    this.#count++;
    if (this.#count <= MAX_RECIPIENTS) return null;
    this.#overshoot++;
    if (this.#overshoot > MAX_RECIPIENT_OVERSHOOT) {
      return {
        rule: RecipientBudget.id,
        reply: { code: 421, message: "4.7.0 Too many recipients, closing connection" },
      };
    }
    return { rule: RecipientBudget.id, reply: { code: 452, message: "4.5.3 Too many recipients" } };
  }
}
