// Rule auth.base64: an AUTH initial response or continuation line that is not valid base64 gets 501,
// as RFC 4954 section 4 requires. smtp-server decodes with Buffer.from(…, "base64"), which silently
// skips invalid characters: "AUTH LOGIN <garbage>" would carry on to a password prompt with a mangled
// user name. "=" (an empty initial response) and "*" (cancel) are left to smtp-server.
import type { CommandLine } from "./command";
import type { GuardDecision } from "./types";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const authBase64 = {
  id: "auth.base64",
  check(command: CommandLine): GuardDecision | null {
    let data: string | undefined;
    if (command.isAuthContinuation) {
      data = command.line.toString("latin1").trim();
    } else if (command.name === "AUTH") {
      // AUTH <mechanism> [initial-response]; extra words are smtp-server's 501 syntax error.
      data = command.line.toString("latin1").trim().split(/\s+/)[2];
    }
    if (data === undefined || data === "=" || data === "*" || BASE64.test(data)) return null;
    return { rule: this.id, reply: { code: 501, message: "5.5.2 Invalid base64 data in authentication" } };
  },
};
