// POLICY.md row 8: the sender's domain publishes which hosts may use it in MAIL FROM (SPF). Under
// "reject-fail" an SPF fail is refused at the end of DATA (550 5.7.23, RFC 7372) and a DNS failure
// tempfails (451), so the sender retries instead of us accepting mail we could not check. Under "tag"
// the result is only written into Authentication-Results; "off" acts on nothing. Authenticated users
// are never checked: their mail is not inbound.
import { spfResultOf } from "../../auth/message-authentication";
import { proceed, reject, type DataContext, type Rule } from "./types";

export const spf: Rule<DataContext> = {
  id: "spf",
  async evaluate(context) {
    if (context.authenticatedUser || context.recipientPolicy?.spfCheck !== "reject-fail") return proceed;
    const result = spfResultOf(await context.authentication());
    if (result === "fail") return reject(550, "5.7.23 SPF check failed");
    if (result === "temperror") {
      return {
        action: "tempfail",
        code: 451,
        message: "4.4.3 SPF check failed on a DNS error, try again later",
      };
    }
    return proceed;
  },
};
