// The sentences the Logs page, the trace and the export show for records, and where a refusal's setting
// is changed: the rule in words, the setting at the level the user can open.
import { describe, expect, it } from "vitest";
import { describeRecord, ruleSetting, ruleWords, settingHref } from "./mail-log-words";

const session = {
  seq: 1,
  at: "2026-12-08T10:00:00.000Z",
  session: "s",
  listener: "inbound",
  client: "203.0.113.9",
};

describe("mail-log words", () => {
  it("says what a refusal was and which rule made it", () => {
    expect(
      describeRecord({
        ...session,
        type: "rcpt.to",
        from: "ceo@spoof.test",
        to: "bob@x.com",
        direction: "inbound",
        outcome: "refused",
        rule: "spf",
        code: 550,
        status: "5.7.23",
        reply: "550 5.7.23 SPF check failed",
      }),
    ).toBe("Refused RCPT to bob@x.com: the sender's SPF check failed (rule spf)");
    // A phase prefix and an unknown rule both read sensibly.
    expect(ruleWords("rcpt.spf")).toBe("the sender's SPF check failed (rule rcpt.spf)");
    expect(ruleWords("data.something-new")).toBe("rule data.something-new");
  });

  it("links a rule's setting where the user can change it for this record", () => {
    expect(ruleSetting("spf")).toEqual({ key: "spfCheck", label: "SPF check" });
    const at = { domainId: "d1", serverId: "s1" };
    expect(settingHref("spfCheck", at, true)).toBe("/domains/d1?tab=policy#setting-spfCheck");
    // DNS blocklists are a server setting: a domain admin (no servers) gets no link.
    expect(settingHref("dnsBlocklists", at, true)).toBe("/servers/s1?tab=policy#setting-dnsBlocklists");
    expect(settingHref("dnsBlocklists", at, false)).toBeNull();
    expect(settingHref("catchAllMailbox", at, false)).toBe("/domains/d1?tab=addresses");
    expect(ruleSetting("connect.early-talker")).toBeNull();
  });

  it("tells a gap and a deferred delivery in plain words", () => {
    expect(
      describeRecord({ seq: 9, at: session.at, type: "gap", fromSeq: 3, toSeq: 8, reason: "spool-full" }),
    ).toBe("6 log records lost (the agent's log spool was full)");
    expect(
      describeRecord({
        seq: 2,
        at: session.at,
        type: "delivery",
        direction: "outbound",
        queueId: "Q",
        from: "a@x.test",
        to: "b@far.test",
        outcome: "deferred",
        host: "mx.far.test",
        reply: "451 try later",
        status: "4.0.0",
        attempt: 2,
      }),
    ).toBe("Delivery to b@far.test put off (attempt 2, mx.far.test): 451 try later");
  });
});
