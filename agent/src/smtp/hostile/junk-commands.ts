// Rule session.junk-commands: commands that cost the server work but move no mail (NOOP, RSET, VRFY,
// HELP, HELO/EHLO) are allowed MAX_JUNK_COMMANDS times per connection between accepted messages; past
// that the client gets 421 and the connection is closed. Without it a client could keep a session
// busy forever with "NOOP\r\n" × millions (Postfix: smtpd_junk_command_limit, also 100).
import type { CommandLine } from "./command";
import type { GuardDecision } from "./types";

export const MAX_JUNK_COMMANDS = 100;
const JUNK = new Set(["NOOP", "RSET", "VRFY", "EXPN", "HELP", "HELO", "EHLO"]);

export class JunkCommandBudget {
  static readonly id = "session.junk-commands";
  #count = 0;

  check(command: CommandLine): GuardDecision | null {
    if (command.isAuthContinuation || !JUNK.has(command.name)) return null;
    this.#count++;
    if (this.#count <= MAX_JUNK_COMMANDS) return null;
    return {
      rule: JunkCommandBudget.id,
      reply: { code: 421, message: "4.7.0 Too many commands without a message, closing connection" },
    };
  }

  messageAccepted(): void {
    this.#count = 0;
  }
}
