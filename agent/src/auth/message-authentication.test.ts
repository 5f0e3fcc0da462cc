// The header work around mailauth's verdict: our Authentication-Results goes on top, and one a sender
// forged in our name never reaches the mailbox (RFC 8601 §5).
import { describe, expect, it } from "vitest";
import {
  authenticationHeaders,
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

describe("authenticationHeaders", () => {
  it("puts Authentication-Results above Received-SPF", () => {
    const headers =
      "Received-SPF: pass (mx: ok) client-ip=192.0.2.1;\r\n helo=c.test;\r\n" +
      "Authentication-Results: mx;\r\n spf=pass smtp.mailfrom=a@b.test\r\n";
    expect(authenticationHeaders({ headers } as MessageAuthentication)).toBe(
      "Authentication-Results: mx;\r\n spf=pass smtp.mailfrom=a@b.test\r\n" +
        "Received-SPF: pass (mx: ok) client-ip=192.0.2.1;\r\n helo=c.test;\r\n",
    );
  });
});
