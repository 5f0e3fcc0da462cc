// Who gets a bounce (policy row 6), what the bounce looks like (RFC 3464), and the retry schedule's
// arithmetic (row 24): the decisions a sender or a forged sender's victim would notice.
import { describe, expect, it } from "vitest";
import type { QueueEntry } from "../queue/queue";
import { compileConfig, type ActiveConfig } from "../smtp/active-config";
import { agentConfig } from "../test-support/fixtures";
import { bounceDecision, buildDsn, headerOf } from "./dsn";
import { statusOf } from "./remote-delivery";
import { retryDelayMs } from "./retry";

function config(senderDomainBounces?: "require-spf-pass" | "disabled" | "enabled"): ActiveConfig {
  const compiled = compileConfig(
    1,
    agentConfig(
      [{ name: "example.test", ...(senderDomainBounces && { policy: { bounces: senderDomainBounces } }) }],
      { bounces: "require-spf-pass" },
    ),
  );
  if (!compiled.ok) throw new Error(compiled.errors.join("; "));
  return compiled.active;
}

function entry(overrides: Partial<QueueEntry>): QueueEntry {
  return {
    version: 1,
    id: "ABC123",
    mailFrom: "someone@elsewhere.test",
    receivedAt: new Date().toISOString(),
    dsnCount: 0,
    recipients: [
      {
        address: "x@remote.test",
        prepend: "",
        state: "failed",
        attempts: 1,
        nextAttemptAt: new Date().toISOString(),
      },
    ],
    ...overrides,
  };
}

describe("bounce gate (row 6)", () => {
  it("require-spf-pass: only when SPF passed (or the sender authenticated)", () => {
    expect(bounceDecision(entry({ spf: "pass" }), config()).send).toBe(true);
    for (const spf of ["fail", "softfail", "neutral", "none", "temperror", "permerror", undefined]) {
      expect(bounceDecision(entry(spf === undefined ? {} : { spf }), config()).send).toBe(false);
    }
    expect(bounceDecision(entry({ authenticatedUser: "someone@elsewhere.test" }), config()).send).toBe(true);
  });

  it("follows the sender's own domain policy when the sender is local", () => {
    const local = { mailFrom: "alice@example.test", spf: "pass" };
    expect(bounceDecision(entry(local), config("disabled"))).toEqual({
      send: false,
      reason: "bounces disabled by policy",
    });
    expect(bounceDecision(entry({ ...local, spf: "fail" }), config("enabled")).send).toBe(true);
    // a remote sender falls back to the server's policy
    expect(bounceDecision(entry({ spf: "fail" }), config("enabled")).send).toBe(false);
  });

  it("never bounces to the null sender, or a bounce", () => {
    expect(bounceDecision(entry({ mailFrom: "", spf: "pass" }), config("enabled")).send).toBe(false);
    expect(
      bounceDecision(entry({ mailFrom: "alice@example.test", dsnOf: "XYZ" }), config("enabled")).send,
    ).toBe(false);
  });
});

describe("the DSN", () => {
  it("is a multipart/report with a delivery-status part per failed recipient and the original header", () => {
    const dsn = buildDsn({
      reportingMta: "mx.agent.test",
      dsnId: "ABC123D0",
      queueId: "ABC123",
      originalSender: "someone@elsewhere.test",
      arrivalDate: new Date("2026-01-02T03:04:05Z"),
      failed: [
        {
          address: "x@remote.test",
          status: "5.1.1",
          diagnostic: "550 5.1.1 no such user\r\n here",
          remoteMta: "mx.remote.test [127.0.0.1]",
        },
      ],
      original: Buffer.from("Subject: the original\r\nFrom: someone@elsewhere.test\r\n\r\nsecret body\r\n"),
      now: new Date("2026-01-02T04:00:00Z"),
    }).toString("utf8");
    expect(dsn).toMatch(/^From: Mail Delivery System <MAILER-DAEMON@mx\.agent\.test>\r\n/);
    expect(dsn).toContain("To: <someone@elsewhere.test>\r\n");
    expect(dsn).toContain("Auto-Submitted: auto-replied\r\n");
    expect(dsn).toContain(
      'Content-Type: multipart/report; report-type=delivery-status; boundary="=_mailwarden_ABC123D0"',
    );
    expect(dsn).toContain(
      [
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.agent.test",
        "X-Mailwarden-Queue-ID: ABC123",
        "Arrival-Date: Fri, 2 Jan 2026 03:04:05 +0000",
        "",
        "Final-Recipient: rfc822; x@remote.test",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx.remote.test",
        "Diagnostic-Code: smtp; 550 5.1.1 no such user here",
      ].join("\r\n"),
    );
    expect(dsn).toContain("Content-Type: text/rfc822-headers\r\n\r\nSubject: the original\r\n");
    expect(dsn).not.toContain("secret body");
    expect(dsn.endsWith("--=_mailwarden_ABC123D0--\r\n")).toBe(true);
  });

  it("takes only the header block of the original", () => {
    expect(headerOf(Buffer.from("A: 1\nB: 2\n\nbody"))).toBe("A: 1\r\nB: 2\r\n");
  });
});

describe("retry schedule (row 24)", () => {
  it("waits each step in turn, then gives up", () => {
    const schedule = [10, 10, 10, 1440];
    expect([1, 2, 3, 4, 5].map((attempts) => retryDelayMs(schedule, attempts))).toEqual([
      600_000,
      600_000,
      600_000,
      86_400_000,
      null,
    ]);
  });

  it("reads the RFC 3463 status from a reply", () => {
    expect(statusOf("550 5.1.1 no such user")).toBe("5.1.1");
    expect(statusOf("451 try later")).toBe("4.0.0");
    expect(statusOf("554 go away")).toBe("5.0.0");
  });
});
