// Rule command.line-length: command lines longer than MAX_COMMAND_LINE_OCTETS (AUTH lines:
// MAX_AUTH_LINE_OCTETS) get "500 Line too long" (RFC 5321 4.5.3.1.10) and the session goes on.
// RFC 5321 allows 512 octets; MAIL FROM with SIZE, BODY, AUTH=, ENVID and RET can legitimately reach
// about 1,500 (RFC 1870, 4954, 3461), so 2,048 as in Postfix's line_length_limit. AUTH lines carry a
// base64 SASL response, for which RFC 4954 section 4 allows 12,288 octets.
// Lines without a line ending are cut earlier, in smtp-server's parser: past HARD_COMMAND_LINE_OCTETS
// it answers "421 Error: Command line too long" and closes, since it cannot find where the next command
// starts — that is what bounds the memory one connection can make the parser hold.
import type { CommandLine } from "./command";
import type { GuardDecision } from "./types";

export const MAX_COMMAND_LINE_OCTETS = 2048;
export const MAX_AUTH_LINE_OCTETS = 12_288;
/** smtp-server's maxCommandLength: over this the parser gives up on the connection. */
export const HARD_COMMAND_LINE_OCTETS = 16 * 1024;

export const commandLineLength = {
  id: "command.line-length",
  check(command: CommandLine): GuardDecision | null {
    const isAuth = command.isAuthContinuation || command.name === "AUTH";
    const limit = isAuth ? MAX_AUTH_LINE_OCTETS : MAX_COMMAND_LINE_OCTETS;
    if (command.line.length <= limit) return null;
    return { rule: this.id, reply: { code: 500, message: `5.5.2 Line too long (limit ${limit} octets)` } };
  },
};
