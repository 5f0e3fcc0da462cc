// The header work around mailauth's verdict — one a sender forged in our name never reaches the mailbox
// (RFC 8601 §5) — and the verdict's time limits: DNS that never answers ends each check in its own
// temperror before the authentication's cap, so the policy decides instead of a blanket timeout.
import { afterEach, describe, expect, it, vi } from "vitest";
import { DNS_LOOKUP_TIMEOUT_MS, type DnsResolver } from "../dns/resolver";
import {
  authenticateMessage,
  AUTHENTICATION_DNS_DEADLINE_MS,
  AUTHENTICATION_TIMEOUT_MS,
  removeForgedResults,
  type MessageAuthentication,
} from "./message-authentication";

describe("removeForgedResults", () => {
  it("drops Authentication-Results claiming our authserv-id, folded lines included, and keeps others", () => {
    const message = Buffer.from(
      [
        "Authentication-Results: MX.Agent.Test;",
        "\tdkim=pass header.d=bank.test",
        "Authentication-Results: other.example; spf=pass",
        'Authentication-Results: "mx.agent.test"; dmarc=pass',
        "From: a@bank.test",
        "",
        "Authentication-Results: mx.agent.test; this is body text",
        "",
      ].join("\r\n"),
    );
    expect(removeForgedResults(message, "mx.agent.test").toString()).toBe(
      [
        "Authentication-Results: other.example; spf=pass",
        "From: a@bank.test",
        "",
        "Authentication-Results: mx.agent.test; this is body text",
        "",
      ].join("\r\n"),
    );
  });

  it("returns the very same buffer when there is nothing to remove", () => {
    const message = Buffer.from("From: a@b.test\r\nSubject: x\r\n\r\nbody\r\n");
    expect(removeForgedResults(message, "mx.agent.test")).toBe(message);
  });
});

/** A static zone; names in `hanging` are asked but never answered, as by a DNS server that is down. */
function zoneResolver(zone: Record<string, string>, hanging: string[] = []): DnsResolver {
  return {
    resolve: (name: string, type: string) => {
      if (hanging.includes(name)) return new Promise(() => undefined);
      const record = zone[`${name}/${type}`];
      if (record === undefined) {
        return Promise.reject(Object.assign(new Error(`${name} ENOTFOUND`), { code: "ENOTFOUND" }));
      }
      return Promise.resolve([[record]]);
    },
  } as unknown as DnsResolver;
}

const message = Buffer.from(
  "From: <x@sender.test>\r\nTo: <ann@local.test>\r\nSubject: t\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n",
);

/** Authenticates with the clock faked, moving it on in steps until the verdict (or the cap) arrives. */
async function authenticateOnFakeClock(resolver: DnsResolver): Promise<MessageAuthentication> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  let settled = false;
  const pending = authenticateMessage({
    message,
    ip: "192.0.2.10",
    helo: "client.test",
    sender: "x@sender.test",
    hostname: "mx.local.test",
    resolver,
    verifyArc: true,
  }).finally(() => (settled = true));
  pending.catch(() => undefined);
  for (let elapsed = 0; !settled && elapsed <= AUTHENTICATION_TIMEOUT_MS; elapsed += 250) {
    await vi.advanceTimersByTimeAsync(250);
  }
  return pending;
}

describe("DNS that never answers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ends SPF and DMARC in temperror by the DNS deadline, not in 'authentication timed out'", async () => {
    const started = Date.now();
    const result = await authenticateOnFakeClock(zoneResolver({}, ["sender.test", "_dmarc.sender.test"]));
    expect(Date.now() - started).toBeLessThan(AUTHENTICATION_TIMEOUT_MS);
    expect(result.spf && result.spf.status.result).toBe("temperror");
    expect(result.dmarc && result.dmarc.status.result).toBe("temperror");
    expect(result.headers).toMatch(
      /^Authentication-Results: mx\.local\.test;[^]*spf=temperror[^]*dmarc=temperror/,
    );
  });

  it("keeps an SPF fail a fail when the exp= explanation cannot be looked up", async () => {
    const result = await authenticateOnFakeClock(
      zoneResolver({ "sender.test/TXT": "v=spf1 -all exp=why.sender.test" }, ["why.sender.test"]),
    );
    expect(result.spf && result.spf.status.result).toBe("fail");
  });

  it("fits three lookups timing out one after another (DKIM key, SPF, DMARC) before the deadline", () => {
    expect(3 * DNS_LOOKUP_TIMEOUT_MS).toBeLessThanOrEqual(AUTHENTICATION_DNS_DEADLINE_MS);
    expect(AUTHENTICATION_DNS_DEADLINE_MS).toBeLessThan(AUTHENTICATION_TIMEOUT_MS);
  });
});
