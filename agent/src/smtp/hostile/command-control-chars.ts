// Rule command.control-chars: a command line carrying NUL, a bare CR or another control byte is
// refused before smtp-server parses it. smtp-server ends command lines at LF and keeps a CR that is not
// right before it, so "NOOP\rMAIL FROM:<…>" would otherwise reach its parser as one line; its address
// checks refuse control bytes too, but HELO arguments, AUTH data and unknown commands would each need
// their own care. TAB stays allowed (some clients separate arguments with it).
import type { CommandLine } from "./command";
import type { GuardDecision } from "./types";

export const commandControlChars = {
  id: "command.control-chars",
  check(command: CommandLine): GuardDecision | null {
    for (const byte of command.line) {
      if ((byte < 0x20 && byte !== 0x09) || byte === 0x7f) {
        return {
          rule: this.id,
          reply: { code: 500, message: "5.5.2 Invalid character in command (NUL, CR or control byte)" },
        };
      }
    }
    return null;
  },
};
