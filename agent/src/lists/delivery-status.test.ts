// Reading the failed recipients of delivery status notifications as other servers write them: this
// agent's own DSNs, Postfix's, one with a base64 status part, one that only warns of a delay, and mail
// that is no DSN at all.
import { describe, expect, it } from "vitest";
import { buildDsn } from "../delivery/dsn";
import { readDeliveryStatus } from "./delivery-status";

const crlf = (...lines: string[]) => Buffer.from(lines.join("\r\n"));

/** A DSN as Postfix writes it (shortened), with an unquoted boundary and a second, delayed recipient. */
const postfixDsn = crlf(
  "From: MAILER-DAEMON@mx.remote.test (Mail Delivery System)",
  "Subject: Undelivered Mail Returned to Sender",
  "To: team-bounces@lists.test",
  "MIME-Version: 1.0",
  "Content-Type: multipart/report; report-type=delivery-status;",
  "\tboundary=5F2A3C0E12.1700000000/mx.remote.test",
  "",
  "--5F2A3C0E12.1700000000/mx.remote.test",
  "Content-Description: Notification",
  "Content-Type: text/plain; charset=us-ascii",
  "",
  "I'm sorry to have to inform you that your message could not be delivered.",
  "",
  "--5F2A3C0E12.1700000000/mx.remote.test",
  "Content-Description: Delivery report",
  "Content-Type: message/delivery-status",
  "",
  "Reporting-MTA: dns; mx.remote.test",
  "X-Postfix-Queue-ID: 5F2A3C0E12",
  "",
  "Final-Recipient: rfc822; Gone@Remote.test",
  "Original-Recipient: rfc822;gone@remote.test",
  "Action: failed",
  "Status: 5.1.1",
  "Remote-MTA: dns; inner.remote.test",
  "Diagnostic-Code: smtp; 550 5.1.1 <gone@remote.test>: Recipient address rejected:",
  "    User unknown in local recipient table",
  "",
  "Final-Recipient: rfc822; slow@remote.test",
  "Action: delayed",
  "Status: 4.4.1",
  "",
  "--5F2A3C0E12.1700000000/mx.remote.test--",
  "",
);

describe("readDeliveryStatus", () => {
  it("reads Postfix's report: the failed recipient with its status and unfolded diagnostic, not the delayed one", () => {
    expect(readDeliveryStatus(postfixDsn)).toEqual([
      {
        recipients: ["gone@remote.test"],
        status: "5.1.1",
        diagnostic:
          "550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown in local recipient table",
      },
    ]);
  });

  it("reads this agent's own DSNs, every failed recipient", () => {
    const dsn = buildDsn({
      reportingMta: "mx.agent.test",
      dsnId: "abcD0",
      queueId: "abc",
      originalSender: "team-bounces@lists.test",
      arrivalDate: new Date("2026-11-20T10:00:00Z"),
      failed: [
        { address: "a@remote.test", status: "5.2.2", diagnostic: "552 5.2.2 Mailbox full" },
        { address: "b@remote.test", status: "4.4.7", diagnostic: "timed out (gave up after 4 attempts)" },
      ],
      original: crlf("Subject: hello", "", "body"),
    });
    expect(readDeliveryStatus(dsn)).toEqual([
      { recipients: ["a@remote.test"], status: "5.2.2", diagnostic: "552 5.2.2 Mailbox full" },
      { recipients: ["b@remote.test"], status: "4.4.7", diagnostic: "timed out (gave up after 4 attempts)" },
    ]);
  });

  it("reads a base64-encoded status part and an Original-Recipient when Final-Recipient is missing", () => {
    const fields = [
      "Reporting-MTA: dns; mx.remote.test",
      "",
      "Original-Recipient: rfc822; <old@remote.test>",
      "Action: Failed",
      "Status: 5.1.6",
    ].join("\r\n");
    const dsn = crlf(
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      "",
      "--b1",
      "Content-Type: message/delivery-status",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from(fields).toString("base64"),
      "--b1--",
    );
    expect(readDeliveryStatus(dsn)).toEqual([
      { recipients: ["old@remote.test"], status: "5.1.6", diagnostic: "" },
    ]);
  });

  it("is null for mail that is not a DSN: a plain message, an auto-reply, a report without a status part", () => {
    expect(readDeliveryStatus(crlf("Subject: hi", "", "hello"))).toBeNull();
    expect(
      readDeliveryStatus(crlf("Auto-Submitted: auto-replied", "Content-Type: text/plain", "", "I am away")),
    ).toBeNull();
    expect(
      readDeliveryStatus(
        crlf(
          'Content-Type: multipart/report; boundary="x"',
          "",
          "--x",
          "Content-Type: text/plain",
          "",
          "hi",
          "--x--",
        ),
      ),
    ).toBeNull();
    expect(readDeliveryStatus(crlf("Content-Type: multipart/report", "", "no boundary"))).toBeNull();
  });
});
