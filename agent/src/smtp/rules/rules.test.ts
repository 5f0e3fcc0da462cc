// Each rule's decision table, without sockets, plus the engine's promise that a broken rule tempfails.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../log";
import { agentConfig } from "../../test-support/fixtures";
import { compileConfig, type ActiveConfig } from "../active-config";
import { OutboundCounters } from "../outbound-counters";
import { mailFromRules, phaseFallback, rcptToRules } from "./index";
import { runRules } from "./run-rules";
import type { ListenerName, RcptToContext, Rule } from "./types";

function compiled(...args: Parameters<typeof agentConfig>): ActiveConfig {
  const result = compileConfig(1, agentConfig(...args));
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.active;
}

const config = compiled([
  { name: "strict.test", policy: { requireSmtpAuth: true }, mailboxes: { ann: "h" } },
  { name: "lax.test", policy: { requireSmtpAuth: false }, mailboxes: { lee: "h" } },
]);

function facts(overrides: Partial<RcptToContext> = {}): RcptToContext {
  return {
    sessionId: "s1",
    listener: "inbound",
    remoteAddress: "192.0.2.10",
    isSecure: false,
    authenticatedUser: null,
    config,
    outboundCounters: new OutboundCounters(),
    sender: "",
    recipient: "",
    ...overrides,
  };
}

async function mailFrom(sender: string, listener: ListenerName, authenticatedUser: string | null = null) {
  const context = facts({ sender, listener, authenticatedUser });
  return (await runRules("mail", mailFromRules, context, phaseFallback.mail, silentLogger())).outcome;
}

async function rcptTo(recipient: string, overrides: Partial<RcptToContext> = {}) {
  const context = facts({ recipient, ...overrides });
  return runRules("rcpt", rcptToRules, context, phaseFallback.rcpt, silentLogger());
}

describe("require-smtp-auth", () => {
  it.each([
    ["ann@strict.test", "inbound", null, 530],
    ["ann@strict.test", "submission", null, 530],
    ["ann@strict.test", "submission", "ann@strict.test", null],
    ["lee@lax.test", "inbound", null, null],
    ["lee@lax.test", "submissionTls", null, null],
    ["x@remote.test", "inbound", null, null],
    ["x@remote.test", "submission", null, 530],
    ["", "inbound", null, null],
    ["", "submissionTls", null, 530],
  ] as const)("MAIL FROM <%s> on %s as %s → %s", async (sender, listener, user, code) => {
    const outcome = await mailFrom(sender, listener, user);
    if (code === null) expect(outcome.action).toBe("accept");
    else expect(outcome).toEqual({ action: "reject", code, message: "5.7.0 Authentication required" });
  });
});

describe("relay and local-recipient", () => {
  it("denies relay to unauthenticated clients, allows authenticated ones", async () => {
    expect((await rcptTo("x@remote.test")).outcome).toEqual({
      action: "reject",
      code: 554,
      message: "5.7.1 Relay access denied",
    });
    expect(await rcptTo("x@remote.test", { authenticatedUser: "ann@strict.test" })).toEqual({
      outcome: { action: "accept" },
      ruleId: "relay",
    });
  });

  it("local-networks trusts loopback only; authenticated-or-whitelist with no whitelist acts as nobody", async () => {
    const localNetworks = compiled([], { relay: "local-networks" });
    expect(
      (await rcptTo("x@remote.test", { config: localNetworks, remoteAddress: "127.0.0.5" })).outcome.action,
    ).toBe("accept");
    expect(
      (await rcptTo("x@remote.test", { config: localNetworks, remoteAddress: "::ffff:127.0.0.1" })).outcome
        .action,
    ).toBe("accept");
    expect(
      (await rcptTo("x@remote.test", { config: localNetworks, remoteAddress: "10.0.0.1" })).outcome.action,
    ).toBe("reject");
    const whitelist = compiled([], { relay: "authenticated-or-whitelist" });
    expect(
      (await rcptTo("x@remote.test", { config: whitelist, remoteAddress: "127.0.0.1" })).outcome.action,
    ).toBe("reject");
  });

  it("refuses unknown local mailboxes (case-insensitive match for known ones)", async () => {
    expect(await rcptTo("ANN@Strict.Test")).toEqual({
      outcome: { action: "accept" },
      ruleId: "local-recipient",
    });
    expect((await rcptTo("nobody@strict.test")).outcome).toEqual({
      action: "reject",
      code: 550,
      message: "5.1.1 Mailbox unavailable",
    });
  });
});

describe("rule engine", () => {
  it("tempfails (451) when a rule throws, never accepts", async () => {
    const broken: Rule<RcptToContext> = {
      id: "broken",
      evaluate() {
        throw new Error("boom");
      },
    };
    const acceptAll: Rule<RcptToContext> = { id: "accept-all", evaluate: () => ({ action: "accept" }) };
    const result = await runRules("rcpt", [broken, acceptAll], facts(), { action: "accept" }, silentLogger());
    expect(result).toEqual({
      outcome: { action: "tempfail", code: 451, message: "4.3.0 Temporary local problem, try again later" },
      ruleId: "broken",
    });
  });

  it("fails closed at RCPT when no rule decides", async () => {
    const result = await runRules("rcpt", [], facts(), phaseFallback.rcpt, silentLogger());
    expect(result.ruleId).toBe("default");
    expect(result.outcome.action).toBe("reject");
  });
});

describe("per-mailbox sending limits (row 20) in a pushed config", () => {
  it("follows the domain when a hub sends none, and otherwise takes the stricter value", () => {
    const config = agentConfig([
      {
        name: "own.test",
        mailboxes: { old: "h", low: "h", high: "h" },
        sendingLimits: {
          low: { messagesPerHour: 2 },
          high: { messagesPerHour: 1_000_000, messagesPerDay: 7 },
        },
      },
    ]);
    // A hub from before per-mailbox limits leaves the field out.
    delete (config.domains[0]!.mailboxes[0] as { sendingLimits?: unknown }).sendingLimits;
    const result = compileConfig(1, config);
    if (!result.ok) throw new Error(result.errors.join("; "));
    const domain = result.active.domains.get("own.test")!;
    const { mailboxMessagesPerHour: hour, mailboxMessagesPerDay: day } = domain.policy.outboundThrottle;
    expect(Object.fromEntries([...domain.mailboxes].map(([name, box]) => [name, box.sendingLimits]))).toEqual(
      {
        high: { messagesPerHour: hour, messagesPerDay: 7 },
        low: { messagesPerHour: 2, messagesPerDay: day },
        old: { messagesPerHour: hour, messagesPerDay: day },
      },
    );
  });
});
