// POLICY.md row 9: under "honor-policy" a message whose From domain fails DMARC gets what that domain
// asked for — p=reject is refused at the end of DATA (550 5.7.1), p=quarantine is delivered to the
// recipients' Junk folder, p=none is delivered. mailauth's `policy` is already the effective one (sp/np
// for subdomains, one level lower under t=y). A verdict that rests on a DNS failure — DMARC itself, or
// the SPF or DKIM lookups it depends on — is not a fail: it tempfails (451) and the sender retries.
// "tag" only writes the result into Authentication-Results; "off" acts on nothing.
import { proceed, reject, type DataContext, type Rule } from "./types";

const dnsTempfail = {
  action: "tempfail",
  code: 451,
  message: "4.4.3 DMARC check failed on a DNS error, try again later",
} as const;

export const dmarc: Rule<DataContext> = {
  id: "dmarc",
  async evaluate(context) {
    if (context.authenticatedUser || context.recipientPolicy?.dmarcCompliance !== "honor-policy")
      return proceed;
    const authentication = await context.authentication();
    const result = authentication.dmarc;
    // No single author domain in From: DMARC cannot be evaluated (mailauth's dmarcSkipReason).
    if (!result) return proceed;
    if (result.status.result === "temperror") return dnsTempfail;
    if (result.status.result !== "fail") return proceed;
    if (result.policy !== "reject" && result.policy !== "quarantine") return proceed;
    const lookupFailed =
      (authentication.spf && authentication.spf.status.result === "temperror") ||
      authentication.dkim.results.some((signature) => signature.status.result === "temperror");
    if (lookupFailed) return dnsTempfail;
    if (result.policy === "quarantine") return { action: "quarantine" };
    const domain = (result.status.header?.from ?? result.domain).replace(/[^\w.-]/g, "");
    return reject(550, `5.7.1 Rejected by DMARC policy of ${domain}`);
  },
};
