// Issue 13 from a console user's side: every decision the agent makes in a real SMTP session — and what
// happens to the mail afterwards — is in the mail log with the facts someone asking "where did my mail go
// and why" needs: the rule that refused, the codes, the queue id the client was given, the Message-ID,
// authentication results, delivery host and reply, attempts, DSNs, auto-replies, abuse blocks and lifts.
// And it is there before the client hears the reply it describes.
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailLogRecordSchema, type MailLogEvent } from "@mailwarden/protocol";
import { runAbuseCommand } from "../hub/abuse-commands";
import { MemoryMailLog } from "../mail-log/mail-log";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeMx } from "../test-support/fake-mx";
import { agentConfig, hashPassword, tempDir, waitFor } from "../test-support/fixtures";
import { SmtpDialog } from "../test-support/smtp-dialog";
import { swaks } from "../test-support/swaks";
import { RawSession } from "./hostile/raw-session";
import { startMailLogTestAgent, type MailLogTestAgent } from "./mail-log-test-agent";

// alice sends 3 messages in these tests, carol 4: the fourth suspends carol (row 21, internal spammer).
const ALICE_PASSWORD = "alice-Correct-horse-1";
const CAROL_PASSWORD = "carol-Battery-staple-2";

/** Records everything; a record matching `hold` resolves only when the test releases it. */
class GatedMailLog extends MemoryMailLog {
  hold: ((event: MailLogEvent) => boolean) | null = null;
  readonly held: (() => void)[] = [];
  override record(event: MailLogEvent): Promise<void> {
    void super.record(event);
    if (!this.hold?.(event)) return Promise.resolve();
    return new Promise((resolve) => this.held.push(resolve));
  }
}

let state: Awaited<ReturnType<typeof tempDir>>;
let dns: TestDnsServer;
let mx: FakeMx;
let agent: MailLogTestAgent;
const log = new GatedMailLog();

beforeAll(async () => {
  state = await tempDir("mw-mail-log-");
  dns = await TestDnsServer.start();
  mx = await FakeMx.start(path.join(state.dir, "fake-mx"));
  dns
    .mx("remote.test", "mx.remote.test")
    .a("mx.remote.test", "127.0.0.1")
    .txt("sender.test", "v=spf1 ip4:127.0.0.1 -all")
    .txt("forger.test", "v=spf1 -all")
    // SPF neutral and no signature: DMARC fails, and p=quarantine sends the message to Junk.
    .txt("spoof.test", "v=spf1 ?all")
    .txt("_dmarc.spoof.test", "v=DMARC1; p=quarantine");
  // temp@ always answers 4xx (deferred, then given up), gone@ 5xx (bounced at once).
  mx.answer = (recipient) =>
    recipient === "temp@remote.test"
      ? { code: 451, message: "4.2.0 mailbox busy, try later" }
      : recipient === "gone@remote.test"
        ? { code: 550, message: "5.1.1 no such user here" }
        : null;
  agent = await startMailLogTestAgent(path.join(state.dir, "agent"), log, {
    dnsServers: [dns.address],
    delivery: {
      remotePort: mx.port,
      retryScheduleOverrideMinutes: [0.01],
      queueRunIntervalMs: 200,
      connectTimeoutMs: 3000,
    },
  });
  const hash = await hashPassword("unused-Password-42");
  const domainPolicy = {
    requireSmtpAuth: true,
    spfCheck: "reject-fail",
    bounces: "enabled",
    autoResponders: "enabled",
  } as const;
  await agent.apply(
    agentConfig(
      [
        {
          name: "example.test",
          policy: domainPolicy,
          mailboxes: {
            alice: await hashPassword(ALICE_PASSWORD),
            carol: await hashPassword(CAROL_PASSWORD),
            bob: hash,
            vacation: hash,
          },
          autoReplies: { vacation: { subject: "Away", body: "Back on Monday.", intervalHours: 24 } },
        },
      ],
      {
        spfCheck: "reject-fail",
        dnsBlocklists: false,
        ipBlacklist: [{ network: "127.0.0.2", reason: "spam run", expiresAt: null }],
        abuseBruteForce: { enabled: true, failures: 3, minutes: 10, blockMinutes: 30 },
        abuseInternalSpammer: { enabled: true, messages: 4, minutes: 60 },
        abuseHarvesting: { enabled: true, unknownRecipients: 3, minutes: 10, blockMinutes: 30 },
        // 127.0.0.1 (the host itself) is exempt from per-address limits and abuse detection alike.
        connectionLimits: { maxConcurrent: 500, maxPerIp: 2, maxNewPerIpPerMinute: 1000 },
      },
    ),
  );
});

afterAll(async () => {
  await agent?.stop();
  await mx?.close();
  await dns?.close();
  await state?.remove();
});

function ofType<T extends MailLogEvent["type"]>(
  type: T,
  where: (record: Extract<MailLogEvent, { type: T }>) => boolean,
) {
  return log.ofType(type).filter(where);
}

/** The one record of `type` matching `where`, once it is there. */
function recorded<T extends MailLogEvent["type"]>(
  type: T,
  where: (record: Extract<MailLogEvent, { type: T }>) => boolean,
  timeoutMs = 10_000,
): Promise<Extract<MailLogEvent, { type: T }>> {
  return waitFor(() => ofType(type, where)[0], timeoutMs, `a ${type} record`);
}

function queueIdOf(response: string): string {
  return /queued as ([0-9A-Z]+)/.exec(response)![1]!;
}

async function sendInbound(from: string, to: string, messageId: string): Promise<string> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.inbound,
    ignoreTLS: true,
  });
  try {
    const info = await transport.sendMail({
      envelope: { from, to: [to] },
      from,
      to,
      subject: `for ${to}`,
      text: "hello",
      messageId,
    });
    return info.response;
  } finally {
    transport.close();
  }
}

async function submit(user: string, password: string, to: string, messageId: string): Promise<string> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.submission,
    requireTLS: true,
    auth: { user, pass: password },
    tls: { rejectUnauthorized: false },
  });
  try {
    const info = await transport.sendMail({ from: user, to, subject: "out", text: "bye", messageId });
    return info.response;
  } finally {
    transport.close();
  }
}

function plain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString("base64");
}

describe("the SMTP session", () => {
  it("records the connection and its TLS version and cipher", async () => {
    const { dialog } = await SmtpDialog.connect(agent.ports.submission);
    await dialog.command("EHLO client.test");
    expect((await dialog.startTls()).code).toBe(220);
    const tls = await recorded("tls.established", (record) => record.listener === "submission");
    dialog.close();
    const opened = ofType("connection.opened", (record) => record.session === tls.session);
    expect(opened).toEqual([expect.objectContaining({ listener: "submission", client: "127.0.0.1" })]);
    // a connection concerns no domain: only those who may read the server see it
    expect(opened[0]!.domain).toBeUndefined();
    expect(tls.version).toMatch(/^TLSv1\.[23]$/);
    expect(tls.cipher).toMatch(/AES|CHACHA/);
  });

  it("records a refused connection with the rule that refused it and the reply", async () => {
    const session = await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.2" });
    expect(session.replies[0]!.code).toBe(554);
    session.destroy();
    const refused = await recorded("connection.refused", (record) => record.client === "127.0.0.2");
    expect(refused).toMatchObject({
      rule: "connect.ip-blacklist",
      code: 554,
      status: "5.7.1",
      listener: "inbound",
      reply: "5.7.1 Connections from your address are refused by this server (blacklist 127.0.0.2)",
    });
  });

  it("records a connection turned away by a guard (too many from one address) with its rule", async () => {
    const open = [
      await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.7" }),
      await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.7" }),
    ];
    const third = await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.7" });
    expect(third.replies[0]!.code).toBe(421);
    for (const session of [...open, third]) session.destroy();
    const refused = await recorded("connection.refused", (record) => record.client === "127.0.0.7");
    expect(refused).toMatchObject({
      rule: "connect.max-clients-per-address",
      code: 421,
      status: "4.7.0",
      listener: "inbound",
    });
    expect(ofType("connection.opened", (record) => record.client === "127.0.0.7")).toHaveLength(2);
  });

  it("records an early talker turned away before the greeting, and never greets it", async () => {
    const session = await RawSession.connect(agent.ports.inbound, {
      localAddress: "127.0.0.8",
      waitForGreeting: false,
    });
    await session.write("EHLO hasty.test\r\n");
    await session.closed;
    expect(session.replies.map((reply) => reply.code)).toEqual([421]);
    const refused = await recorded("connection.refused", (record) => record.client === "127.0.0.8");
    expect(refused).toMatchObject({ rule: "connect.early-talker", code: 421, listener: "inbound" });
    expect(ofType("connection.opened", (record) => record.client === "127.0.0.8")).toEqual([]);
  });

  it("records a failed and a successful login with mechanism, user and the refusal's rule", async () => {
    const session = await RawSession.connect(agent.ports.submission);
    await session.command("EHLO client.test");
    await session.startTls();
    await session.command("EHLO client.test");
    const wrong = await session.command(`AUTH PLAIN ${plain("alice@example.test", "wrong-password")}`);
    expect(wrong.code).toBe(535);
    const right = await session.command(`AUTH PLAIN ${plain("alice@example.test", ALICE_PASSWORD)}`);
    expect(right.code).toBe(235);
    session.destroy();
    const failed = await recorded("auth.failed", (record) => record.user === "alice@example.test");
    expect(failed).toMatchObject({
      mechanism: "PLAIN",
      rule: "smtp-auth",
      code: 535,
      status: "5.7.8",
      domain: "example.test",
      listener: "submission",
    });
    const succeeded = await recorded("auth.succeeded", (record) => record.session === failed.session);
    expect(succeeded).toMatchObject({
      mechanism: "PLAIN",
      user: "alice@example.test",
      domain: "example.test",
    });
  });

  it("records AUTH refused before TLS with the rule that hides it", async () => {
    const session = await RawSession.connect(agent.ports.submission);
    await session.command("EHLO client.test");
    const reply = await session.command(`AUTH PLAIN ${plain("bob@example.test", "whatever")}`);
    expect(reply.code).toBe(538);
    session.destroy();
    const failed = await recorded(
      "auth.failed",
      (record) => record.rule === "auth-only-over-tls" && record.listener === "submission",
    );
    expect(failed).toMatchObject({ mechanism: "PLAIN", code: 538, status: "5.7.11" });
  });

  it("records a MAIL FROM refused by a rule", async () => {
    const result = await swaks([
      ...["--server", "127.0.0.1", "--port", String(agent.ports.submission)],
      ...["--from", "alice@example.test", "--to", "bob@example.test"],
    ]);
    expect(result.output).toContain("530 5.7.0 Authentication required");
    const refused = await recorded(
      "mail.from",
      (record) => record.outcome === "refused" && record.from === "alice@example.test",
    );
    expect(refused).toMatchObject({
      rule: "require-smtp-auth",
      code: 530,
      status: "5.7.0",
      listener: "submission",
    });
  });

  it("records refused recipients with the rule, the codes and the recipient's domain", async () => {
    const inbound = ["--server", "127.0.0.1", "--port", String(agent.ports.inbound)];
    await swaks([...inbound, "--from", "friend@sender.test", "--to", "x@elsewhere.test"]);
    await swaks([...inbound, "--from", "friend@sender.test", "--to", "nobody@example.test"]);
    const relay = await recorded("rcpt.to", (record) => record.to === "x@elsewhere.test");
    expect(relay).toMatchObject({
      outcome: "refused",
      rule: "relay",
      code: 554,
      status: "5.7.1",
      reply: "5.7.1 Relay access denied",
      direction: "inbound",
      from: "friend@sender.test",
      domain: "elsewhere.test",
    });
    const unknown = await recorded("rcpt.to", (record) => record.to === "nobody@example.test");
    expect(unknown).toMatchObject({
      outcome: "refused",
      rule: "local-recipient",
      code: 550,
      status: "5.1.1",
      domain: "example.test",
    });
  });
});

describe("a message", () => {
  it("accepted from outside: queue id as told to the client, Message-ID, results, folder; then delivered to the Maildir", async () => {
    const response = await sendInbound("friend@sender.test", "bob@example.test", "<inbound-1@sender.test>");
    const queueId = queueIdOf(response);
    const accepted = await recorded("message.accepted", (record) => record.queueId === queueId);
    expect(accepted).toMatchObject({
      direction: "inbound",
      domain: "example.test",
      messageId: "<inbound-1@sender.test>",
      from: "friend@sender.test",
      to: ["bob@example.test"],
      spf: "pass",
      dkim: "none",
      dmarc: "none",
      folder: "inbox",
      listener: "inbound",
    });
    expect(accepted.size).toBeGreaterThan(100);
    const rcpt = ofType("rcpt.to", (record) => record.session === accepted.session);
    expect(rcpt).toEqual([
      expect.objectContaining({ outcome: "accepted", rule: "local-recipient", to: "bob@example.test" }),
    ]);
    const delivery = await recorded("delivery", (record) => record.queueId === queueId);
    expect(delivery).toMatchObject({
      outcome: "delivered",
      host: "maildir",
      to: "bob@example.test",
      status: "2.0.0",
      attempt: 1,
      direction: "inbound",
      domain: "example.test",
      messageId: "<inbound-1@sender.test>",
    });
  });

  it("accepted into Junk when DMARC says quarantine, with the DMARC result", async () => {
    const queueId = queueIdOf(
      await sendInbound("boss@spoof.test", "bob@example.test", "<spoofed-1@spoof.test>"),
    );
    const accepted = await recorded("message.accepted", (record) => record.queueId === queueId);
    expect(accepted).toMatchObject({ folder: "junk", spf: "neutral", dmarc: "fail (p=quarantine)" });
  });

  it("refused at DATA: the rule (SPF) and the codes, for the recipient's domain", async () => {
    await expect(
      sendInbound("someone@forger.test", "bob@example.test", "<forged-1@forger.test>"),
    ).rejects.toThrow(/550 5\.7\.23/);
    const refused = await recorded("message.refused", (record) => record.from === "someone@forger.test");
    expect(refused).toMatchObject({
      rule: "spf",
      code: 550,
      status: "5.7.23",
      direction: "inbound",
      domain: "example.test",
      to: ["bob@example.test"],
      messageId: "<forged-1@forger.test>",
    });
  });

  it("refused at DATA by a guard (NUL byte): the guard's rule id and the size read", async () => {
    const session = await RawSession.connect(agent.ports.inbound);
    await session.command("EHLO client.test");
    await session.command("MAIL FROM:<nul@sender.test>");
    await session.command("RCPT TO:<bob@example.test>");
    await session.command("DATA");
    const reply = await session.command("Subject: x\r\n\r\nhello\0world\r\n.");
    expect(reply.code).toBe(550);
    session.destroy();
    const refused = await recorded("message.refused", (record) => record.from === "nul@sender.test");
    expect(refused).toMatchObject({ rule: "data.nul-byte", code: 550, to: ["bob@example.test"] });
    expect(refused.size).toBeGreaterThan(0);
  });

  it("sent by a user: outbound, signed, delivered to the remote MX with its reply", async () => {
    const response = await submit(
      "alice@example.test",
      ALICE_PASSWORD,
      "partner@remote.test",
      "<out-1@example.test>",
    );
    const queueId = queueIdOf(response);
    const accepted = await recorded("message.accepted", (record) => record.queueId === queueId);
    expect(accepted).toMatchObject({
      direction: "outbound",
      domain: "example.test",
      from: "alice@example.test",
      to: ["partner@remote.test"],
      dkim: "signed",
      listener: "submission",
    });
    const delivery = await recorded("delivery", (record) => record.queueId === queueId);
    expect(delivery).toMatchObject({
      outcome: "delivered",
      host: "mx.remote.test [127.0.0.1]",
      direction: "outbound",
      domain: "example.test",
      attempt: 1,
      messageId: "<out-1@example.test>",
    });
    expect(delivery.reply).toMatch(/^250 /);
  });

  it("deferred with the next attempt's time, then given up, bounced and a DSN sent to the sender", async () => {
    const response = await submit(
      "alice@example.test",
      ALICE_PASSWORD,
      "temp@remote.test",
      "<out-2@example.test>",
    );
    const queueId = queueIdOf(response);
    const deferred = await recorded(
      "delivery",
      (record) => record.queueId === queueId && record.attempt === 1,
    );
    expect(deferred).toMatchObject({
      outcome: "deferred",
      to: "temp@remote.test",
      host: "mx.remote.test [127.0.0.1]",
      status: "4.2.0",
    });
    expect(deferred.reply).toContain("451 4.2.0 mailbox busy");
    expect(Date.parse(deferred.nextAttemptAt!)).toBeGreaterThan(Date.parse(deferred.at));
    const bounced = await recorded(
      "delivery",
      (record) => record.queueId === queueId && record.attempt === 2,
    );
    expect(bounced).toMatchObject({ outcome: "bounced", status: "4.2.0" });
    expect(bounced.nextAttemptAt).toBeUndefined();
    expect(bounced.reply).toContain("gave up after 2 attempts");
    const dsn = await recorded("dsn.sent", (record) => record.queueId === queueId);
    expect(dsn).toMatchObject({
      dsnQueueId: `${queueId}D0`,
      to: "alice@example.test",
      action: "failed",
      domain: "example.test",
      messageId: "<out-2@example.test>",
    });
  });

  it("bounced at once by a 5xx, with the remote server's reply and status", async () => {
    const response = await submit(
      "alice@example.test",
      ALICE_PASSWORD,
      "gone@remote.test",
      "<out-3@example.test>",
    );
    const queueId = queueIdOf(response);
    const bounced = await recorded("delivery", (record) => record.queueId === queueId);
    expect(bounced).toMatchObject({
      outcome: "bounced",
      attempt: 1,
      status: "5.1.1",
      host: "mx.remote.test [127.0.0.1]",
      to: "gone@remote.test",
    });
    expect(bounced.reply).toContain("550 5.1.1 no such user here");
  });

  it("returned to the sender by an admin from the queue view: bounced, by the administrator", async () => {
    const response = await submit(
      "alice@example.test",
      ALICE_PASSWORD,
      "temp@remote.test",
      "<out-4@example.test>",
    );
    const queueId = queueIdOf(response);
    // Waits for an attempt in flight (the queue's per-message lock), then fails what is still pending.
    expect(await agent.delivery.bounce(queueId)).toBe(true);
    const bounced = await recorded(
      "delivery",
      (record) => record.queueId === queueId && record.outcome === "bounced",
    );
    expect(bounced).toMatchObject({ host: "administrator", status: "5.0.0", to: "temp@remote.test" });
    expect(bounced.reply).toBe("returned to the sender by the administrator");
    expect(bounced.attempt).toBeLessThanOrEqual(1);
  });

  it("an auto-reply queued for a mailbox on vacation", async () => {
    const queueId = queueIdOf(
      await sendInbound("friend@sender.test", "vacation@example.test", "<hi@sender.test>"),
    );
    const reply = await recorded("autoreply.sent", (record) => record.queueId === queueId);
    expect(reply).toMatchObject({
      replyQueueId: `${queueId}A0`,
      from: "vacation@example.test",
      to: "friend@sender.test",
      domain: "example.test",
    });
  });
});

describe("abuse detection", () => {
  it("records a brute-force block before the 421 that ends the session, and its lift by the console", async () => {
    const session = await RawSession.connect(agent.ports.submission, { localAddress: "127.0.0.3" });
    await session.command("EHLO client.test");
    await session.startTls();
    await session.command("EHLO client.test");
    const replies = [];
    for (let i = 0; i < 3; i += 1) {
      replies.push((await session.command(`AUTH PLAIN ${plain("alice@example.test", `guess-${i}`)}`)).code);
    }
    expect(replies).toEqual([535, 535, 421]);
    session.destroy();
    const blocked = await recorded("abuse.blocked", (record) => record.subject === "127.0.0.3");
    expect(blocked).toMatchObject({
      kind: "ip",
      rule: "ids.brute-force",
      action: "block",
    });
    expect(blocked.domain).toBeUndefined();
    expect(Date.parse(blocked.until!) - Date.parse(blocked.at)).toBe(30 * 60_000);
    const failures = ofType("auth.failed", (record) => record.client === "127.0.0.3");
    expect(failures.map((record) => [record.rule, record.code])).toEqual([
      ["smtp-auth", 535],
      ["smtp-auth", 535],
      ["ids.brute-force", 421],
    ]);
    const id = agent.abuse.list().find((block) => block.subject === "127.0.0.3")!.id;
    const answer = await runAbuseCommand(agent.abuse, { type: "abuse.lift", ids: [id] });
    expect(answer).toEqual({ ok: true, result: { done: [id], missing: [] } });
    // The console hears "done" only once the lift is in the log.
    expect(ofType("abuse.lifted", (record) => record.subject === "127.0.0.3")).toEqual([
      expect.objectContaining({ kind: "ip", rule: "ids.brute-force", by: "console" }),
    ]);
  });

  it("records a harvesting block and the RCPT it refused with 421", async () => {
    const session = await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.4" });
    await session.command("EHLO client.test");
    await session.command("MAIL FROM:<collector@sender.test>");
    const codes = [];
    for (let i = 1; i <= 3; i += 1)
      codes.push((await session.command(`RCPT TO:<guess${i}@example.test>`)).code);
    expect(codes).toEqual([550, 550, 421]);
    session.destroy();
    const refusals = ofType("rcpt.to", (record) => record.client === "127.0.0.4");
    expect(refusals.map((record) => [record.to, record.rule, record.code])).toEqual([
      ["guess1@example.test", "local-recipient", 550],
      ["guess2@example.test", "local-recipient", 550],
      ["guess3@example.test", "ids.harvesting", 421],
    ]);
    expect(ofType("abuse.blocked", (record) => record.subject === "127.0.0.4")).toEqual([
      expect.objectContaining({ kind: "ip", rule: "ids.harvesting", action: "block" }),
    ]);
  });

  it("records a block that ran out as lifted by expiry, at the time it ended", async () => {
    const start = Date.now();
    for (let i = 0; i < 3; i += 1) agent.abuse.loginFailed("10.9.9.9", start);
    const blocked = await recorded("abuse.blocked", (record) => record.subject === "10.9.9.9");
    // Any later connection past the block's end notices it (and anything else that ran out).
    agent.abuse.admit("10.1.1.1", start + 31 * 60_000);
    const lifted = await recorded("abuse.lifted", (record) => record.subject === "10.9.9.9");
    expect(lifted).toMatchObject({ by: "expired", rule: "ids.brute-force", at: blocked.until });
  });

  it("records a user's suspension by the internal-spammer rule, and the MAIL FROM it refuses", async () => {
    for (let i = 1; i <= 4; i += 1) {
      await submit("carol@example.test", CAROL_PASSWORD, "bob@example.test", `<carol-${i}@example.test>`);
    }
    const suspended = await recorded("abuse.blocked", (record) => record.subject === "carol@example.test");
    expect(suspended).toMatchObject({
      kind: "user",
      rule: "ids.internal-spammer",
      action: "suspend",
      until: null,
      domain: "example.test",
    });
    await expect(
      submit("carol@example.test", CAROL_PASSWORD, "bob@example.test", "<carol-5@example.test>"),
    ).rejects.toThrow(/550 5\.7\.1 Sending suspended/);
    const refused = await recorded(
      "mail.from",
      (record) => record.from === "carol@example.test" && record.outcome === "refused",
    );
    expect(refused).toMatchObject({ rule: "ids.internal-spammer", code: 550, domain: "example.test" });
  });
});

describe("before the reply", () => {
  it("the client hears RCPT's and DATA's replies only after their records are written", async () => {
    const session = await RawSession.connect(agent.ports.inbound);
    await session.command("EHLO client.test");
    await session.command("MAIL FROM:<gated@sender.test>");
    log.hold = (event) =>
      (event.type === "rcpt.to" || event.type === "message.accepted") && event.from === "gated@sender.test";
    try {
      await session.write("RCPT TO:<bob@example.test>\r\n");
      await waitFor(() => log.held.length === 1, 5000, "the RCPT record to be written");
      const before = session.replies.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(session.replies.length).toBe(before);
      log.held.shift()!();
      await session.waitForReplies(before + 1);
      expect(session.replies[before]!.code).toBe(250);

      await session.command("DATA");
      await session.write("Message-ID: <gated@sender.test>\r\nSubject: gated\r\n\r\nhello\r\n.\r\n");
      await waitFor(() => log.held.length === 1, 10_000, "the message.accepted record to be written");
      const queued = ofType("message.accepted", (record) => record.messageId === "<gated@sender.test>");
      expect(queued).toHaveLength(1);
      const count = session.replies.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(session.replies.length).toBe(count);
      log.held.shift()!();
      await session.waitForReplies(count + 1);
      expect(session.replies[count]!.text).toContain(`queued as ${queued[0]!.queueId}`);
    } finally {
      log.hold = null;
      for (const release of log.held.splice(0)) release();
      session.destroy();
    }
  });
});

describe("the records", () => {
  it("are each valid for the protocol once numbered (what the spool ships)", () => {
    expect(log.records.length).toBeGreaterThan(40);
    const invalid = log.records
      .map((record, index) => ({
        record,
        result: mailLogRecordSchema.safeParse({ ...record, seq: index + 1 }),
      }))
      .filter(({ result }) => !result.success);
    expect(invalid).toEqual([]);
  });
});
