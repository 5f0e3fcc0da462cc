// The SPF and DMARC rules' decision tables (rows 8, 9) on real mailauth verdicts computed from a static
// zone (lookups that never end included, on a fake clock), and the RCPT rule that keeps one inbound
// policy per transaction. No sockets here: the end-to-end behaviour is in ../inbound-authentication.test.ts.
import type { Policy } from "@mailwarden/policy";
import { describe, expect, it, vi } from "vitest";
import { authenticateMessage } from "../../auth/message-authentication";
import type { DnsResolver } from "../../dns/resolver";
import { silentLogger } from "../../log";
import { agentConfig } from "../../test-support/fixtures";
import { compileConfig, type ActiveConfig } from "../active-config";
import { OutboundCounters } from "../outbound-counters";
import { dmarc } from "./dmarc";
import { onePolicyPerTransaction, recipientPolicyOf } from "./one-policy-per-transaction";
import { runRules } from "./run-rules";
import { spf } from "./spf";
import type { DataContext, RcptToContext } from "./types";

const zone: Record<string, string[][]> = {
  "pass.test/TXT": [["v=spf1 ip4:192.0.2.10 -all"]],
  "fail.test/TXT": [["v=spf1 ip4:198.51.100.1 -all"]],
  "reject.test/TXT": [["v=spf1 ?all"]],
  "_dmarc.reject.test/TXT": [["v=DMARC1; p=reject"]],
  "quarantine.test/TXT": [["v=spf1 ?all"]],
  "_dmarc.quarantine.test/TXT": [["v=DMARC1; p=quarantine"]],
  "monitor.test/TXT": [["v=spf1 ?all"]],
  "_dmarc.monitor.test/TXT": [["v=DMARC1; p=none"]],
  "explained.test/TXT": [["v=spf1 ip4:198.51.100.1 -all exp=why.explained.test"]],
};

/**
 * A static zone; names listed in `broken` time out like a dead DNS server would, names in `hanging` are
 * never answered at all (the message's DNS deadline has to end them).
 */
function staticResolver(broken: string[] = [], hanging: string[] = []): DnsResolver {
  return {
    resolve: async (name: string, type: string) => {
      if (hanging.includes(name)) return new Promise(() => undefined);
      if (broken.includes(name))
        throw Object.assign(new Error(`query ${name} ETIMEOUT`), { code: "ETIMEOUT" });
      const records = zone[`${name}/${type}`];
      if (!records) throw Object.assign(new Error(`query ${name} ENOTFOUND`), { code: "ENOTFOUND" });
      return records;
    },
  } as unknown as DnsResolver;
}

function compiled(policy: Partial<Policy>): ActiveConfig {
  const result = compileConfig(1, agentConfig([{ name: "local.test", policy, mailboxes: { ann: "h" } }]));
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.active;
}

async function judge(
  sender: string,
  policy: Partial<Policy> = {},
  options: { broken?: string[]; hanging?: string[]; authenticatedUser?: string } = {},
) {
  const config = compiled(policy);
  const message = Buffer.from(
    `From: <${sender}>\r\nTo: <ann@local.test>\r\nSubject: test\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n`,
  );
  let calls = 0;
  const context: DataContext = {
    sessionId: "s1",
    listener: "inbound",
    remoteAddress: "192.0.2.10",
    isSecure: false,
    authenticatedUser: options.authenticatedUser ?? null,
    config,
    outboundCounters: new OutboundCounters(),
    sender,
    recipientPolicy: recipientPolicyOf(config, ["ann@local.test"]),
    authentication: () => {
      calls += 1;
      return authenticateMessage({
        message,
        ip: "192.0.2.10",
        helo: "client.test",
        sender,
        hostname: "mx.local.test",
        resolver: staticResolver(options.broken, options.hanging),
        verifyArc: true,
      });
    },
  };
  const result = await runRules("data", [spf, dmarc], context, { action: "accept" }, silentLogger());
  return { ...result, calls };
}

describe("spf rule (row 8)", () => {
  it("refuses an SPF fail under reject-fail with 550 5.7.23", async () => {
    expect(await judge("x@fail.test")).toMatchObject({
      ruleId: "spf",
      outcome: { action: "reject", code: 550, message: "5.7.23 SPF check failed" },
    });
  });

  it("lets an SPF pass through, and only tags a fail under tag or off", async () => {
    expect((await judge("x@pass.test")).outcome).toEqual({ action: "accept" });
    expect((await judge("x@fail.test", { spfCheck: "tag" })).outcome).toEqual({ action: "accept" });
    expect((await judge("x@fail.test", { spfCheck: "off" })).outcome).toEqual({ action: "accept" });
  });

  it("tempfails (451) when the SPF lookup times out, never accepts", async () => {
    expect(await judge("x@fail.test", {}, { broken: ["fail.test"] })).toMatchObject({
      ruleId: "spf",
      outcome: { action: "tempfail", code: 451 },
    });
  });

  it("skips authenticated users entirely", async () => {
    const result = await judge("x@fail.test", {}, { authenticatedUser: "ann@local.test" });
    expect(result.outcome).toEqual({ action: "accept" });
    expect(result.calls).toBe(0);
  });
});

describe("dmarc rule (row 9)", () => {
  it("refuses p=reject with the author domain named, quarantines p=quarantine, delivers p=none", async () => {
    expect(await judge("x@reject.test")).toMatchObject({
      ruleId: "dmarc",
      outcome: { action: "reject", code: 550, message: "5.7.1 Rejected by DMARC policy of reject.test" },
    });
    expect(await judge("x@quarantine.test")).toMatchObject({
      ruleId: "dmarc",
      outcome: { action: "quarantine" },
    });
    expect((await judge("x@monitor.test")).outcome).toEqual({ action: "accept" });
  });

  it("acts on nothing under tag and off", async () => {
    expect((await judge("x@reject.test", { dmarcCompliance: "tag" })).outcome).toEqual({ action: "accept" });
    expect((await judge("x@reject.test", { dmarcCompliance: "off" })).outcome).toEqual({ action: "accept" });
  });

  it("tempfails when the DMARC record, or the SPF it depends on, cannot be looked up", async () => {
    expect((await judge("x@reject.test", {}, { broken: ["_dmarc.reject.test"] })).outcome).toMatchObject({
      action: "tempfail",
      code: 451,
    });
    expect(
      (await judge("x@reject.test", { spfCheck: "tag" }, { broken: ["reject.test"] })).outcome,
    ).toMatchObject({ action: "tempfail", code: 451 });
  });
});

describe("lookups that never end", () => {
  /** judge() on a fake clock, moved on until the rules decide (or the rule engine's 10 s pass). */
  async function judgeOnFakeClock(...args: Parameters<typeof judge>) {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      let settled = false;
      const pending = judge(...args).finally(() => (settled = true));
      for (let elapsed = 0; !settled && elapsed <= 10_000; elapsed += 250) {
        await vi.advanceTimersByTimeAsync(250);
      }
      return await pending;
    } finally {
      vi.useRealTimers();
    }
  }

  it("answer with the SPF rule's own 451 under reject-fail, not the blanket authentication timeout", async () => {
    expect(await judgeOnFakeClock("x@fail.test", {}, { hanging: ["fail.test"] })).toMatchObject({
      ruleId: "spf",
      outcome: {
        action: "tempfail",
        code: 451,
        message: "4.4.3 SPF check failed on a DNS error, try again later",
      },
    });
  });

  it("answer with the DMARC rule's own 451 when only the DMARC record hangs", async () => {
    const result = await judgeOnFakeClock(
      "x@reject.test",
      { spfCheck: "tag" },
      { hanging: ["_dmarc.reject.test"] },
    );
    expect(result).toMatchObject({
      ruleId: "dmarc",
      outcome: {
        action: "tempfail",
        code: 451,
        message: "4.4.3 DMARC check failed on a DNS error, try again later",
      },
    });
  });

  it("keep an SPF fail whose exp= explanation never arrives a fail: 550", async () => {
    expect(await judgeOnFakeClock("x@explained.test", {}, { hanging: ["why.explained.test"] })).toMatchObject(
      {
        ruleId: "spf",
        outcome: { action: "reject", code: 550, message: "5.7.23 SPF check failed" },
      },
    );
  });
});

describe("one-policy-per-transaction (RCPT)", () => {
  const result = compileConfig(
    1,
    agentConfig([
      { name: "strict.test", mailboxes: { ann: "h" } },
      { name: "strict2.test", mailboxes: { bea: "h" } },
      { name: "tagged.test", policy: { spfCheck: "tag" }, mailboxes: { tom: "h" } },
    ]),
  );
  if (!result.ok) throw new Error(result.errors.join("; "));
  const config = result.active;
  const facts = (
    recipient: string,
    accepted: string[],
    authenticatedUser: string | null = null,
  ): RcptToContext => ({
    sessionId: "s1",
    listener: "inbound",
    remoteAddress: "192.0.2.10",
    isSecure: false,
    authenticatedUser,
    config,
    outboundCounters: new OutboundCounters(),
    sender: "x@remote.test",
    recipient,
    acceptedRecipients: accepted,
  });

  it("defers (452 4.5.3) a recipient whose domain checks SPF/DMARC differently", async () => {
    expect(
      await onePolicyPerTransaction.evaluate(facts("tom@tagged.test", ["ann@strict.test"])),
    ).toMatchObject({
      action: "tempfail",
      code: 452,
    });
  });

  it("accepts recipients of domains with the same checks, remote ones, and anything authenticated", async () => {
    expect(await onePolicyPerTransaction.evaluate(facts("bea@strict2.test", ["ann@strict.test"]))).toEqual({
      action: "continue",
    });
    expect(await onePolicyPerTransaction.evaluate(facts("x@remote.test", ["ann@strict.test"]))).toEqual({
      action: "continue",
    });
    expect(
      await onePolicyPerTransaction.evaluate(
        facts("tom@tagged.test", ["ann@strict.test"], "ann@strict.test"),
      ),
    ).toEqual({ action: "continue" });
  });
});
