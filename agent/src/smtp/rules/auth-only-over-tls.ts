// POLICY.md row 13: with authOnlyOverTls on, a password never crosses the wire in clear text. The rule
// refuses AUTH before TLS (538 5.7.11, RFC 4954 §6), and `isAuthOfferedBeforeTls` tells the server to
// leave AUTH out of the EHLO reply in that state, so well-behaved clients never even try.
import type { Policy } from "@mailwarden/policy";
import { proceed, reject, type AuthContext, type Rule } from "./types";

export const authOnlyOverTls: Rule<AuthContext> = {
  id: "auth-only-over-tls",
  evaluate(context) {
    if (context.isSecure || !context.config.server.authOnlyOverTls) return proceed;
    return reject(538, "5.7.11 Encryption required for requested authentication mechanism");
  },
};

/** Whether AUTH may be advertised and used on a connection that has no TLS yet. */
export function isAuthOfferedBeforeTls(serverPolicy: Policy): boolean {
  return !serverPolicy.authOnlyOverTls;
}
