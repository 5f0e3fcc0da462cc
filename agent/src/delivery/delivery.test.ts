// Delivery as a sender and a remote postmaster would see it: a real agent, a real DNS server on loopback
// (dns2) serving MX and A records, and a real remote MX (smtp-server with STARTTLS) on loopback. Mail for
// remote domains arrives there over TLS; a 4xx is retried on schedule; a 5xx or a null MX fails and
// bounces (RFC 3464) only as policy row 6 allows; a domain without MX gets its mail via its A record;
// the queue view's actions work; a copy a crash left in a Maildir is never made twice; shutdown never
// waits for a remote server that stopped answering.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { silentLogger } from "../log";
import { maildirPath } from "../maildir/maildir";
import { MailQueue, queueSize } from "../queue/queue";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeMx } from "../test-support/fake-mx";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { maildirName } from "./local-delivery";

const ALICE_PASSWORD = "alice-Correct-horse-1";
// Row 8-11 checks stay off here: these tests are about delivery, not about inbound authentication.
const noInboundChecks = {
  spfCheck: "off",
  dmarcCompliance: "off",
  dkimVerify: false,
  dkimSigning: false,
} as const;

let state: Awaited<ReturnType<typeof tempDir>>;
let dns: TestDnsServer;
let mx: FakeMx;
let aliceHash: string;

beforeAll(async () => {
  state = await tempDir("mw-delivery-");
  dns = await TestDnsServer.start();
  mx = await FakeMx.start(path.join(state.dir, "fake-mx"));
  dns
    .mx("remote.test", "mx.remote.test", 10)
    .a("mx.remote.test", "127.0.0.1")
    .mx("sender.test", "mx.remote.test")
    .a("amx.test", "127.0.0.1") // no MX: mail goes to the domain's own address
    .mx("nullmx.test", "", 0) // RFC 7505: accepts no mail
    .mx("down.test", "mx.down.test")
    .a("mx.down.test", "127.0.0.2"); // nothing listens there: connection refused
  aliceHash = await hashPassword(ALICE_PASSWORD);
});

afterAll(async () => {
  await mx?.close();
  await dns?.close();
  await state?.remove();
});

async function startAgent(
  name: string,
  retryScheduleOverrideMinutes: number[],
  server: Record<string, unknown> = {},
): Promise<RunningAgent> {
  const agent = await startTestAgent(path.join(state.dir, name), {
    dnsServers: [dns.address],
    delivery: {
      remotePort: mx.port,
      retryScheduleOverrideMinutes,
      queueRunIntervalMs: 200,
      connectTimeoutMs: 3000,
    },
  });
  const config = agentConfig(
    [{ name: "example.test", policy: { ...noInboundChecks }, mailboxes: { alice: aliceHash } }],
    { ...noInboundChecks, ...server },
  );
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
  return agent;
}

let serial = 0;
function message(subject: string): Buffer {
  serial += 1;
  return Buffer.from(
    `From: someone@sender.test\r\nTo: x@remote.test\r\nSubject: ${subject}\r\nMessage-ID: <t${serial}@sender.test>\r\n\r\nHello.\r\n`,
  );
}

async function drained(agent: RunningAgent, id: string): Promise<void> {
  await waitFor(
    () => !agent.delivery.list().entries.some((entry) => entry.id === id),
    10_000,
    `${id} to leave the queue`,
  );
}

function dsnsTo(address: string) {
  return mx.messagesFor(address).filter((received) => received.mailFrom === "");
}

describe("remote delivery", () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    agent = await startAgent("main", [0.01, 0.01]);
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it("delivers authenticated mail for a remote domain to its MX over STARTTLS, then empties the queue", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submission,
      requireTLS: true,
      auth: { user: "alice@example.test", pass: ALICE_PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({
      from: "alice@example.test",
      to: "partner@remote.test",
      subject: "Over the wire",
      text: "to a remote MX",
    });
    transport.close();
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as ([0-9A-Z]+)$/);
    const id = /queued as ([0-9A-Z]+)/.exec(info.response)![1]!;
    const [received] = await waitFor(() => {
      const found = mx.messagesFor("partner@remote.test");
      return found.length > 0 && found;
    }, 10_000);
    expect(received).toMatchObject({
      mailFrom: "alice@example.test",
      rcptTo: ["partner@remote.test"],
      secure: true,
      heloName: "mx.agent.test",
    });
    expect(received!.tlsProtocol).toMatch(/^TLSv1\.[23]$/);
    expect(received!.body).toMatch(
      /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby mx\.agent\.test \(Mailwarden\)/,
    );
    expect(received!.body).toContain("Subject: Over the wire");
    await drained(agent, id);
    expect(await queueSize(agent.settings.stateDir)).toBe(0);
  });

  it("retries a 4xx on the schedule and delivers on the next attempt", async () => {
    mx.answer = (recipient, attempt) =>
      recipient === "later@remote.test" && attempt === 1
        ? { code: 451, message: "4.7.1 greylisted, try later" }
        : null;
    const entry = await agent.delivery.submit(
      { mailFrom: "someone@sender.test", spf: "pass", recipients: [{ address: "later@remote.test" }] },
      message("greylisted"),
    );
    const deferred = await waitFor(() => {
      const listed = agent.delivery.list().entries.find((queued) => queued.id === entry.id);
      return listed?.recipients[0]?.attempts === 1 && listed;
    });
    expect(deferred.recipients[0]).toMatchObject({ state: "pending", attempts: 1 });
    expect(deferred.recipients[0]!.lastError).toBe("451 4.7.1 greylisted, try later");
    const retryAt = Date.parse(deferred.recipients[0]!.nextAttemptAt!);
    await drained(agent, entry.id);
    expect(Date.now()).toBeGreaterThanOrEqual(retryAt);
    expect(mx.rcptCount.get("later@remote.test")).toBe(2);
    expect(mx.messagesFor("later@remote.test")).toHaveLength(1);
    expect(dsnsTo("someone@sender.test")).toHaveLength(0);
  });

  it("a 5xx fails the recipient and bounces a DSN to a sender that passed SPF", async () => {
    mx.answer = (recipient) =>
      recipient === "nobody@remote.test" ? { code: 550, message: "5.1.1 no such user" } : null;
    const entry = await agent.delivery.submit(
      { mailFrom: "bounce-me@sender.test", spf: "pass", recipients: [{ address: "nobody@remote.test" }] },
      message("to nobody"),
    );
    const [dsn] = await waitFor(() => {
      const found = dsnsTo("bounce-me@sender.test");
      return found.length > 0 && found;
    }, 10_000);
    expect(dsn!.body).toContain("Content-Type: multipart/report; report-type=delivery-status;");
    expect(dsn!.body).toContain(
      "Final-Recipient: rfc822; nobody@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\n",
    );
    expect(dsn!.body).toContain("Diagnostic-Code: smtp; 550 5.1.1 no such user");
    expect(dsn!.body).toContain(`X-Mailwarden-Queue-ID: ${entry.id}`);
    expect(dsn!.body).toContain("Subject: to nobody");
    await drained(agent, entry.id);
    await drained(agent, `${entry.id}D0`);
    expect(dsnsTo("bounce-me@sender.test")).toHaveLength(1);
  });

  it("sends no DSN under require-spf-pass when SPF was not pass", async () => {
    mx.answer = (recipient) =>
      recipient === "nobody@remote.test" ? { code: 550, message: "5.1.1 no such user" } : null;
    const forged = await agent.delivery.submit(
      { mailFrom: "forged@sender.test", spf: "softfail", recipients: [{ address: "nobody@remote.test" }] },
      message("forged"),
    );
    const unchecked = await agent.delivery.submit(
      { mailFrom: "unchecked@sender.test", recipients: [{ address: "nobody@remote.test" }] },
      message("unchecked"),
    );
    await drained(agent, forged.id);
    await drained(agent, unchecked.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dsnsTo("forged@sender.test")).toEqual([]);
    expect(dsnsTo("unchecked@sender.test")).toEqual([]);
    expect(agent.delivery.size).toBe(0);
  });

  it("gives up after the last step of the schedule and reports the last temporary error", async () => {
    mx.answer = (recipient) =>
      recipient === "never@remote.test" ? { code: 452, message: "4.2.2 mailbox full" } : null;
    const entry = await agent.delivery.submit(
      { mailFrom: "patient@sender.test", spf: "pass", recipients: [{ address: "never@remote.test" }] },
      message("never"),
    );
    const [dsn] = await waitFor(() => {
      const found = dsnsTo("patient@sender.test");
      return found.length > 0 && found;
    }, 10_000);
    expect(mx.rcptCount.get("never@remote.test")).toBe(3); // first attempt + two retries
    expect(dsn!.body).toContain("Status: 4.2.2");
    expect(dsn!.body).toContain("452 4.2.2 mailbox full (gave up after 3 attempts)");
    await drained(agent, entry.id);
  });

  it("delivers to the domain's A record when it has no MX", async () => {
    mx.answer = () => null;
    const entry = await agent.delivery.submit(
      { mailFrom: "someone@sender.test", spf: "pass", recipients: [{ address: "user@amx.test" }] },
      message("implicit MX"),
    );
    await waitFor(() => mx.messagesFor("user@amx.test").length === 1, 10_000);
    await drained(agent, entry.id);
  });

  it("fails a domain with a null MX at once (556 5.1.10) and bounces", async () => {
    const entry = await agent.delivery.submit(
      { mailFrom: "nullmx-sender@sender.test", spf: "pass", recipients: [{ address: "user@nullmx.test" }] },
      message("null MX"),
    );
    const [dsn] = await waitFor(() => {
      const found = dsnsTo("nullmx-sender@sender.test");
      return found.length > 0 && found;
    }, 10_000);
    expect(dsn!.body).toContain("Status: 5.1.10");
    expect(dsn!.body).toContain("556 5.1.10 nullmx.test accepts no mail (null MX)");
    await drained(agent, entry.id);
  });

  it("sends one connection per domain: recipients of one domain share a transaction", async () => {
    mx.answer = () => null;
    const before = mx.received.length;
    await agent.delivery.submit(
      {
        mailFrom: "someone@sender.test",
        spf: "pass",
        recipients: [
          { address: "one@remote.test" },
          { address: "two@remote.test" },
          { address: "three@amx.test" },
        ],
      },
      message("three recipients"),
    );
    await waitFor(() => mx.received.length === before + 2, 10_000);
    const transactions = mx.received.slice(before).map((received) => received.rcptTo.sort());
    expect(transactions).toEqual(
      expect.arrayContaining([["one@remote.test", "two@remote.test"], ["three@amx.test"]]),
    );
  });
});

describe("the queue view's actions", () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    agent = await startAgent("admin", [60, 60, 60]);
  });
  afterAll(async () => {
    await agent?.stop();
  });

  async function deferredEntry(subject: string) {
    const content = message(subject);
    const entry = await agent.delivery.submit(
      {
        mailFrom: "alice@example.test",
        authenticatedUser: "alice@example.test",
        recipients: [{ address: "x@down.test" }],
      },
      content,
    );
    await waitFor(
      () =>
        agent.delivery.list().entries.find((queued) => queued.id === entry.id)?.recipients[0]?.attempts === 1,
    );
    return { id: entry.id, size: content.length };
  }

  function listed(id: string) {
    return agent.delivery.list().entries.find((entry) => entry.id === id);
  }

  it("lists entries with attempts, next attempt and last error; retry now and reset retries", async () => {
    const { id, size } = await deferredEntry("admin retry");
    const listing = agent.delivery.list();
    expect(listing.size).toBe(1);
    expect(listing.oldestReceivedAt).toBe(listed(id)!.receivedAt);
    expect(listed(id)!.size).toBe(size);
    const [recipient] = listed(id)!.recipients;
    expect(recipient).toMatchObject({ address: "x@down.test", local: false, state: "pending", attempts: 1 });
    expect(recipient!.lastError).toMatch(/^451 4\.4\.1 mx\.down\.test \[127\.0\.0\.2\]/);
    expect(Date.parse(recipient!.nextAttemptAt!) - Date.now()).toBeGreaterThan(59 * 60_000);

    expect(await agent.delivery.retryNow(id)).toBe(true);
    await waitFor(() => listed(id)?.recipients[0]?.attempts === 2);
    expect(await agent.delivery.resetRetries(id)).toBe(true);
    await waitFor(() => listed(id)?.recipients[0]?.attempts === 1);
    expect(await agent.delivery.retryNow("NOSUCHID")).toBe(false);
    expect(await agent.delivery.delete(id)).toBe(true);
    expect(listed(id)).toBeUndefined();
    expect(await queueSize(agent.settings.stateDir)).toBe(0);
  });

  it("bounce returns the message to a local sender's mailbox now", async () => {
    const { id } = await deferredEntry("admin bounce");
    expect(await agent.delivery.bounce(id)).toBe(true);
    const inbox = path.join(
      maildirPath(agent.settings.stateDir, { domain: "example.test", localPart: "alice" }),
      "new",
    );
    const [dsn] = await waitFor(async () => {
      const names = await readdir(inbox).catch(() => [] as string[]);
      const texts = await Promise.all(names.map((name) => readFile(path.join(inbox, name), "utf8")));
      const found = texts.filter((text) => text.includes(`X-Mailwarden-Queue-ID: ${id}`));
      return found.length > 0 && found;
    });
    expect(dsn).toContain("Status: 5.0.0");
    expect(dsn).toContain("returned to the sender by the administrator");
    await waitFor(() => agent.delivery.size === 0);
  });
});

describe("crash recovery of local copies", () => {
  it("never makes a second copy of one a crash left in new/ or cur/, and delivers the rest", async () => {
    const stateDir = path.join(state.dir, "recovery");
    const queue = new MailQueue({ stateDir, logger: silentLogger() });
    await queue.open();
    const bob = { domain: "example.test", localPart: "bob" };
    const bobRecipient = { address: "bob@example.test", mailbox: bob, prepend: "X-Trace: bob\r\n" };
    // three entries accepted (250 sent) before a crash: one copy reached new/, one was already read
    // (moved to cur/ with flags), one was never written
    const inNew = await queue.enqueue(
      { mailFrom: "a@sender.test", recipients: [bobRecipient] },
      message("in new"),
    );
    const inCur = await queue.enqueue(
      { mailFrom: "a@sender.test", recipients: [bobRecipient] },
      message("in cur"),
    );
    const notYet = await queue.enqueue(
      { mailFrom: "a@sender.test", recipients: [bobRecipient] },
      message("not yet"),
    );
    const root = maildirPath(stateDir, bob);
    for (const sub of ["new", "cur", "tmp"]) await mkdir(path.join(root, sub), { recursive: true });
    await writeFile(path.join(root, "new", maildirName(inNew, 0, "mx.agent.test")), "copy in new");
    await writeFile(path.join(root, "cur", `${maildirName(inCur, 0, "mx.agent.test")}:2,S`), "copy in cur");
    await writeFile(path.join(root, "tmp", maildirName(notYet, 0, "mx.agent.test")), "half-written copy");

    const agent = await startTestAgent(stateDir, { dnsServers: [dns.address] });
    try {
      const config = agentConfig([
        { name: "example.test", policy: { ...noInboundChecks }, mailboxes: { bob: aliceHash } },
      ]);
      // the stored config would be there after a real crash; here the test pushes it
      expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
      agent.delivery.kick();
      await waitFor(() => agent.delivery.size === 0, 10_000, "the recovered queue to drain");
      const inNewFiles = await readdir(path.join(root, "new"));
      const inCurFiles = await readdir(path.join(root, "cur"));
      expect(inNewFiles.sort()).toEqual(
        [maildirName(inNew, 0, "mx.agent.test"), maildirName(notYet, 0, "mx.agent.test")].sort(),
      );
      expect(inCurFiles).toEqual([`${maildirName(inCur, 0, "mx.agent.test")}:2,S`]);
      expect(await readdir(path.join(root, "tmp"))).toEqual([]);
      const delivered = await readFile(
        path.join(root, "new", maildirName(notYet, 0, "mx.agent.test")),
        "utf8",
      );
      expect(delivered).toMatch(/^X-Trace: bob\r\nFrom: someone@sender.test\r\n/);
      expect(delivered).toContain("Subject: not yet");
      expect(await queueSize(stateDir)).toBe(0);
    } finally {
      await agent.stop();
    }
  });
});

describe("shutdown during a remote delivery", () => {
  it("stops while a remote server sits on the end of DATA, and delivers after the restart", async () => {
    // a remote MX that takes the whole message and never answers the final dot
    const received: string[] = [];
    const silentMx = net.createServer((socket) => {
      socket.write("220 silent.test ESMTP\r\n");
      let inData = false;
      socket.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString("latin1").split("\r\n").filter(Boolean)) {
          if (inData) continue;
          received.push(line.split(" ")[0]!.toUpperCase());
          if (/^DATA$/i.test(line)) {
            inData = true;
            socket.write("354 go ahead\r\n");
          } else if (/^(EHLO|HELO|MAIL|RCPT)/i.test(line)) socket.write("250 ok\r\n");
          else socket.write("502 no\r\n");
        }
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silentMx.listen(0, "127.0.0.1", resolve));
    const stateDir = path.join(state.dir, "shutdown");
    const start = () =>
      startTestAgent(stateDir, {
        dnsServers: [dns.address],
        delivery: { remotePort: (silentMx.address() as net.AddressInfo).port, connectTimeoutMs: 3000 },
      });
    try {
      const agent = await start();
      expect(await agent.applyConfig(1, agentConfig([], noInboundChecks))).toEqual({ ok: true, revision: 1 });
      const entry = await agent.delivery.submit(
        { mailFrom: "alice@example.test", recipients: [{ address: "partner@remote.test" }] },
        message("held up"),
      );
      await waitFor(() => received.includes("DATA"), 10_000, "the remote DATA command");
      await agent.stop();

      // the attempt was cut short by the shutdown: not counted, the message still queued
      const again = await start();
      try {
        const listed = again.delivery.list().entries.find((queued) => queued.id === entry.id);
        expect(listed?.recipients[0]).toMatchObject({ address: "partner@remote.test", state: "pending" });
      } finally {
        await again.stop();
      }
    } finally {
      silentMx.close();
    }
  });
});
