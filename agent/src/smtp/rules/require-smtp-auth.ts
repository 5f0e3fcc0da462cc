// POLICY.md row 2: mail claiming a local sender whose domain requires SMTP auth must come from an
// authenticated session (530). The submission ports are for users only: an unauthenticated MAIL FROM
// there is refused too, unless the sender's domain is local and has explicitly turned the rule off.
import { findDomain, splitAddress } from "../active-config";
import { proceed, reject, type MailFromContext, type Rule } from "./types";

const authRequired = reject(530, "5.7.0 Authentication required");

export const requireSmtpAuth: Rule<MailFromContext> = {
  id: "require-smtp-auth",
  evaluate(context) {
    if (context.authenticatedUser) return proceed;
    const domain = context.sender
      ? findDomain(context.config, splitAddress(context.sender).domain)
      : undefined;
    if (domain?.policy.requireSmtpAuth) return authRequired;
    if (context.listener !== "inbound" && !(domain && !domain.policy.requireSmtpAuth)) return authRequired;
    return proceed;
  },
};
