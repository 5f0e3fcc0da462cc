// Row 22's bounce processing as a list's admin and its members notice it, with a real agent on loopback,
// a real DNS server, a real remote MX and real SMTP clients (swaks, nodemailer): a member whose copies
// the remote MX refuses is paused on the third day with a bounce and gets no more copies; a delivery
// status notification sent to <list>-bounces counts for the member it names; other mail to that address
// is refused; an admin's resume sends copies to the member again. The two earlier days of bounces come
// from the ledger file as an agent left it (the agent starts on it, as after a restart).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeMx } from "../test-support/fake-mx";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { deliveredMessage, inboxMessages } from "../test-support/mailbox";
import { SmtpDialog } from "../test-support/smtp-dialog";
import { swaks } from "../test-support/swaks";

const DAY = 86_400_000;
const checks = { dmarcCompliance: "off", dkimVerify: false, dkimSigning: false } as const;
const MEMBERS = ["alice@lists.test", "gone@remote.test", "later@remote.test"];

let state: Awaited<ReturnType<typeof tempDir>>;
let dns: TestDnsServer;
let mx: FakeMx;
let agent: RunningAgent;
let hash: string;

function config(resumes: { address: string; at: string }[] = []) {
  return agentConfig(
    [
      {
        name: "lists.test",
        policy: { ...checks, mailingListPosting: "anyone" },
        mailboxes: { alice: hash },
        mailingLists: [
          { localPart: "team", name: "Team", posting: null, members: MEMBERS, moderators: [], resumes },
        ],
      },
    ],
    checks,
  );
}

beforeAll(async () => {
  state = await tempDir("mw-list-bounces-");
  dns = await TestDnsServer.start();
  mx = await FakeMx.start(path.join(state.dir, "fake-mx"));
  dns
    .a("mx.remote.test", "127.0.0.1")
    .mx("remote.test", "mx.remote.test")
    .txt("sender.test", "v=spf1 ip4:127.0.0.1 -all");
  // What an agent wrote after gone@remote.test bounced on the two days before today.
  const stateDir = path.join(state.dir, "agent");
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const earlier = [Date.now() - 2 * DAY, Date.now() - DAY];
  await writeFile(
    path.join(stateDir, "list-bounces.json"),
    JSON.stringify({
      "team@lists.test": {
        "gone@remote.test": {
          days: earlier,
          last: { at: earlier[1], status: "5.1.1", diagnostic: "550 5.1.1 No such user", source: "delivery" },
        },
      },
    }),
  );
  agent = await startTestAgent(stateDir, {
    dnsServers: [dns.address],
    delivery: { remotePort: mx.port, queueRunIntervalMs: 200, connectTimeoutMs: 3000 },
  });
  hash = await hashPassword("Correct-horse-battery-1");
  expect(await agent.applyConfig(1, config())).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await mx?.close();
  await dns?.close();
  await state?.remove();
});

function post(subject: string) {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.inbound)],
    ...["--from", "friend@sender.test", "--to", "team@lists.test"],
    ...["--header", `Subject: ${subject}`, "--body", `about ${subject}`],
  ]);
}

/** A remote server's delivery status notification to the list's bounce address (null sender). */
async function sendReport(raw: string) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.inbound,
    ignoreTLS: true,
    name: "mx.remote.test",
  });
  try {
    return await transport.sendMail({ envelope: { from: "", to: ["team-bounces@lists.test"] }, raw });
  } finally {
    transport.close();
  }
}

function dsnFor(failed: { address: string; original?: string; status: string; reply: string }[]): string {
  return [
    "From: Mail Delivery System <MAILER-DAEMON@mx.remote.test>",
    "To: team-bounces@lists.test",
    "Subject: Undelivered Mail Returned to Sender",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="report"',
    "",
    "--report",
    "Content-Type: text/plain",
    "",
    "Your message could not be delivered.",
    "--report",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.remote.test",
    "",
    ...failed.flatMap((failure) => [
      ...(failure.original ? [`Original-Recipient: rfc822; ${failure.original}`] : []),
      `Final-Recipient: rfc822; ${failure.address}`,
      "Action: failed",
      `Status: ${failure.status}`,
      `Diagnostic-Code: smtp; ${failure.reply}`,
      "",
    ]),
    "--report--",
    "",
  ].join("\r\n");
}

const reportFor = async (member: string) =>
  (await agent.posture()).listBounces?.find((report) => report.member === member);

describe("a list member whose copies bounce", () => {
  it("is paused on the third day with a bounce from the remote MX, and gets no copy after that", async () => {
    mx.answer = (recipient) =>
      recipient === "gone@remote.test" ? { code: 550, message: "5.1.1 No such user here" } : null;
    try {
      const sent = await post("third day");
      expect(sent.exitCode, sent.output).toBe(0);
      const report = await waitFor(
        async () => (await reportFor("gone@remote.test"))?.pausedAt && reportFor("gone@remote.test"),
        10_000,
        "the pause",
      );
      expect(report).toMatchObject({
        list: "team@lists.test",
        bounceDays: 3,
        lastStatus: "5.1.1",
        lastDiagnostic: expect.stringContaining("No such user here"),
        lastSource: "delivery",
      });
    } finally {
      mx.answer = () => null;
    }
    const refusedBefore = mx.rcptCount.get("gone@remote.test");
    const sent = await post("while paused");
    expect(sent.exitCode, sent.output).toBe(0);
    await waitFor(
      () => mx.messagesFor("later@remote.test").some((m) => m.body.includes("about while paused")),
      10_000,
      "the other member's copy",
    );
    await deliveredMessage(agent.settings.stateDir, "lists.test", "alice", "about while paused");
    await waitFor(() => agent.delivery.size === 0, 10_000, "an empty queue");
    expect(mx.rcptCount.get("gone@remote.test")).toBe(refusedBefore);
  });

  it("counts a DSN sent to <list>-bounces for the member it names (also once forwarded), not for strangers, and stores nothing", async () => {
    const info = await sendReport(
      dsnFor([
        // the member's server forwarded the copy; the report names both addresses
        {
          address: "later@forwarded.test",
          original: "later@remote.test",
          status: "5.2.2",
          reply: "552 5.2.2 Mailbox full",
        },
        { address: "stranger@remote.test", status: "5.1.1", reply: "550 5.1.1 unknown" },
        // a report naming a member thousands of times is read once per member
        ...Array.from({ length: 3000 }, () => ({
          address: "later@remote.test",
          status: "5.0.0",
          reply: "550 repeated",
        })),
      ]),
    );
    expect(info.response).toBe("250 2.0.0 Delivery status notification received");
    expect(await reportFor("later@remote.test")).toMatchObject({
      bounceDays: 1,
      lastStatus: "5.2.2",
      lastDiagnostic: "552 5.2.2 Mailbox full",
      lastSource: "dsn",
      pausedAt: null,
    });
    expect(await reportFor("stranger@remote.test")).toBeUndefined();
    const inbox = await inboxMessages(agent.settings.stateDir, "lists.test", "alice");
    expect(inbox.some((message) => message.includes("Mailbox full"))).toBe(false);
  });

  it("refuses mail to <list>-bounces that is not a DSN, and takes that address alone in its transaction", async () => {
    await expect(sendReport("Subject: I am away\r\n\r\nBack on Monday.\r\n")).rejects.toMatchObject({
      responseCode: 550,
      response: expect.stringContaining(
        "5.7.1 team-bounces@lists.test takes only delivery status notifications (RFC 3464)",
      ),
    });
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      expect((await dialog.command("EHLO mx.remote.test")).code).toBe(250);
      expect((await dialog.command("MAIL FROM:<>")).code).toBe(250);
      expect((await dialog.command("RCPT TO:<team-bounces@lists.test>")).code).toBe(250);
      const second = await dialog.command("RCPT TO:<alice@lists.test>");
      expect(second.code).toBe(452);
      expect(second.text).toContain("4.5.3");
    } finally {
      dialog.close();
    }
  });

  it("gets copies again once an admin resumes them (the console's resume, pushed in the config)", async () => {
    const resumed = config([{ address: "gone@remote.test", at: new Date().toISOString() }]);
    expect(await agent.applyConfig(2, resumed)).toEqual({ ok: true, revision: 2 });
    expect(await reportFor("gone@remote.test")).toBeUndefined();
    const sent = await post("after the resume");
    expect(sent.exitCode, sent.output).toBe(0);
    await waitFor(
      () => mx.messagesFor("gone@remote.test").some((m) => m.body.includes("about after the resume")),
      10_000,
      "the resumed member's copy",
    );
  });
});
