// What a mail user or an abuser would notice on the three listeners: relay refused, unknown recipients
// refused, SMTP auth required per domain, AUTH hidden until TLS, and accepted mail durably queued before
// the 250 and then delivered to the right Maildir by the delivery worker.
import { readdir, readFile, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { maildirPath } from "../maildir/maildir";
import { readQueue } from "../queue/queue";
import { TestDnsServer } from "../test-support/dns-zone";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { capabilities, SmtpDialog } from "../test-support/smtp-dialog";
import { swaks } from "../test-support/swaks";

const ALICE_PASSWORD = "alice-Correct-horse-1";
const CAROL_PASSWORD = "carol-Battery-staple-2";

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;
let dns: TestDnsServer;

/** A loopback port with nothing listening: remote delivery to it is refused (a temporary failure). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  state = await tempDir();
  // remote.test's MX is on loopback with nothing listening: its mail waits in the queue for a retry.
  dns = await TestDnsServer.start();
  dns.mx("remote.test", "mx.remote.test").a("mx.remote.test", "127.0.0.1");
  agent = await startTestAgent(state.dir, {
    dnsServers: [dns.address],
    delivery: { remotePort: await closedPort(), connectTimeoutMs: 2000 },
  });
  const config = agentConfig([
    {
      name: "example.test",
      policy: { requireSmtpAuth: true },
      mailboxes: {
        alice: await hashPassword(ALICE_PASSWORD),
        bob: await hashPassword("bob-unused-Password-3"),
      },
    },
    {
      name: "open.test",
      // Row 4 off too: otherwise local-to-local mail still needs AUTH (smtp-auth-local-deliveries.test.ts).
      policy: { requireSmtpAuth: false, smtpAuthForLocalDeliveries: false },
      mailboxes: { carol: await hashPassword(CAROL_PASSWORD) },
    },
  ]);
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await dns?.close();
  await state?.remove();
});

async function mailboxFiles(domain: string, localPart: string): Promise<string[]> {
  const dir = path.join(maildirPath(state.dir, { domain, localPart }), "new");
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8")));
}

/** The mailbox's message containing `text`, once the delivery worker has put it there. */
async function delivered(domain: string, localPart: string, text: string): Promise<string> {
  return waitFor(
    async () => (await mailboxFiles(domain, localPart)).find((message) => message.includes(text)),
    5000,
    `"${text}" in ${localPart}@${domain}`,
  );
}

function server(port: number): string[] {
  return ["--server", "127.0.0.1", "--port", String(port)];
}

describe("relay and recipients on the inbound port", () => {
  it("refuses to relay for an unauthenticated client (554)", async () => {
    const result = await swaks([
      ...server(agent.ports.inbound),
      "--from",
      "a@remote.test",
      "--to",
      "x@elsewhere.test",
    ]);
    expect(result.exitCode).toBe(24);
    expect(result.output).toContain("554 5.7.1 Relay access denied");
  });

  it("refuses an unknown local recipient at RCPT (550)", async () => {
    const result = await swaks([
      ...server(agent.ports.inbound),
      "--from",
      "a@remote.test",
      "--to",
      "nobody@example.test",
    ]);
    expect(result.exitCode).toBe(24);
    expect(result.output).toContain("550 5.1.1 Mailbox unavailable");
  });

  it("accepts mail from the outside world for a real local mailbox", async () => {
    const result = await swaks([
      ...server(agent.ports.inbound),
      "--from",
      "friend@remote.test",
      "--to",
      "bob@example.test",
      "--header",
      "Subject: hello bob",
    ]);
    expect(result.exitCode).toBe(0);
    await delivered("example.test", "bob", "Subject: hello bob");
  });
});

describe("require SMTP authentication (row 2)", () => {
  it("refuses an unauthenticated local sender when the domain requires auth (530)", async () => {
    const result = await swaks([
      ...server(agent.ports.inbound),
      "--from",
      "alice@example.test",
      "--to",
      "bob@example.test",
    ]);
    expect(result.exitCode).toBe(23);
    expect(result.output).toContain("530 5.7.0 Authentication required");
  });

  it("accepts an unauthenticated local sender on inbound when the domain turned it off", async () => {
    const result = await swaks([
      ...server(agent.ports.inbound),
      "--from",
      "carol@open.test",
      "--to",
      "carol@open.test",
      "--header",
      "Subject: note to self",
    ]);
    expect(result.exitCode).toBe(0);
    await delivered("open.test", "carol", "Subject: note to self");
  });

  it("refuses unauthenticated submission on 587 unless the sender's domain turned auth off", async () => {
    const refused = await swaks([
      ...server(agent.ports.submission),
      "--tls",
      "--from",
      "someone@remote.test",
      "--to",
      "bob@example.test",
    ]);
    expect(refused.exitCode).toBe(23);
    expect(refused.output).toContain("530 5.7.0 Authentication required");

    const { dialog } = await SmtpDialog.connect(agent.ports.submission);
    try {
      await dialog.command("EHLO client.test");
      expect((await dialog.command("MAIL FROM:<carol@open.test>")).code).toBe(250);
    } finally {
      dialog.close();
    }
  });
});

describe("AUTH only over TLS (row 13)", () => {
  for (const listener of ["inbound", "submission"] as const) {
    it(`${listener}: AUTH is not advertised or accepted before STARTTLS, and is after`, async () => {
      const { dialog, greeting } = await SmtpDialog.connect(agent.ports[listener]);
      try {
        expect(greeting.text).toMatch(/^220 mx\.agent\.test /);
        const before = capabilities(await dialog.command("EHLO client.test"));
        expect(before).toContain("STARTTLS");
        expect(before.some((capability) => capability.startsWith("AUTH"))).toBe(false);

        const attempt = await dialog.command(
          "AUTH PLAIN " + Buffer.from(`\0alice@example.test\0${ALICE_PASSWORD}`).toString("base64"),
        );
        expect(attempt.text).toBe("538 5.7.11 Encryption required for requested authentication mechanism");

        expect((await dialog.startTls()).code).toBe(220);
        const after = capabilities(await dialog.command("EHLO client.test"));
        expect(after).toContain("AUTH PLAIN LOGIN");
        expect(after).not.toContain("STARTTLS");
        const login = await dialog.command(
          "AUTH PLAIN " + Buffer.from(`\0alice@example.test\0${ALICE_PASSWORD}`).toString("base64"),
        );
        expect(login.code).toBe(235);
      } finally {
        dialog.close();
      }
    });
  }

  it("swaks sees no AUTH before TLS and AUTH after it", async () => {
    const plain = await swaks([...server(agent.ports.submission), "--quit-after", "EHLO"]);
    expect(plain.output).toMatch(/250-STARTTLS/);
    expect(plain.output).not.toMatch(/AUTH PLAIN/);
    const secured = await swaks([...server(agent.ports.submission), "--tls", "--quit-after", "EHLO"]);
    expect(secured.output).toMatch(/250-AUTH PLAIN LOGIN/);
  });

  it("offers AUTH at once on the implicit TLS port", async () => {
    const { dialog } = await SmtpDialog.connect(agent.ports.submissionTls, { implicitTls: true });
    try {
      expect(capabilities(await dialog.command("EHLO client.test"))).toContain("AUTH PLAIN LOGIN");
    } finally {
      dialog.close();
    }
  });

  it("refuses a wrong password and an unknown user with 535", async () => {
    for (const [user, password] of [
      ["alice@example.test", "wrong-password"],
      ["mallory@example.test", ALICE_PASSWORD],
    ]) {
      const result = await swaks([
        ...server(agent.ports.submission),
        "--tls",
        "--auth",
        "PLAIN",
        "--auth-user",
        user!,
        "--auth-password",
        password!,
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test",
      ]);
      expect(result.exitCode).toBe(28);
      expect(result.output).toContain("535 5.7.8 Authentication credentials invalid");
    }
  });
});

describe("authenticated submission lands in Maildir", () => {
  it("587 with STARTTLS: one file per local mailbox, with a Received header", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submission,
      secure: false,
      requireTLS: true,
      auth: { user: "alice@example.test", pass: ALICE_PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({
      from: "alice@example.test",
      to: ["bob@example.test", "carol@open.test"],
      subject: "Quarterly numbers",
      text: "Numbers attached in spirit.",
    });
    transport.close();
    expect(info.accepted).toEqual(["bob@example.test", "carol@open.test"]);
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);

    for (const [domain, localPart] of [
      ["example.test", "bob"],
      ["open.test", "carol"],
    ] as const) {
      const message = await delivered(domain, localPart, "Subject: Quarterly numbers");
      expect(message).toMatch(
        /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby mx\.agent\.test \(Mailwarden\) with ESMTPSA id /,
      );
      expect(message).toContain(`for <${localPart}@${domain}>`);
      expect(message).toMatch(/using TLSv1\.[23] with cipher/);
      expect(message).toContain("Numbers attached in spirit.");
    }
    const dir = path.join(maildirPath(state.dir, { domain: "example.test", localPart: "bob" }), "new");
    const [first] = await readdir(dir);
    expect((await stat(path.join(dir, first!))).mode & 0o777).toBe(0o600);
    expect(
      await readdir(path.join(maildirPath(state.dir, { domain: "example.test", localPart: "bob" }), "tmp")),
    ).toEqual([]);
  });

  it("465 with implicit TLS", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submissionTls,
      secure: true,
      auth: { user: "carol@open.test", pass: CAROL_PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({
      from: "carol@open.test",
      to: "alice@example.test",
      subject: "Over 465",
      text: "implicit",
    });
    transport.close();
    const message = await delivered("example.test", "alice", "Subject: Over 465");
    expect(message).toContain("implicit");
    expect(message).toContain("for <alice@example.test>");
  });

  it("queues authenticated mail for remote recipients and counts it in the posture", async () => {
    const before = (await agent.posture()).queueSize;
    const result = await swaks([
      ...server(agent.ports.submission),
      "--tls",
      "--auth",
      "LOGIN",
      "--auth-user",
      "alice@example.test",
      "--auth-password",
      ALICE_PASSWORD,
      "--from",
      "alice@example.test",
      "--to",
      "partner@remote.test",
    ]);
    expect(result.exitCode).toBe(0);
    expect((await agent.posture()).queueSize).toBe(before + 1);
    // remote.test's MX refuses connections: the first attempt is deferred to the schedule's next step
    const entry = await waitFor(
      () =>
        agent.delivery
          .list()
          .entries.find((queued) => queued.recipients.some((recipient) => recipient.lastError)),
      5000,
      "a deferred attempt",
    );
    expect(entry).toMatchObject({ mailFrom: "alice@example.test", isBounce: false });
    expect(entry.recipients).toEqual([
      expect.objectContaining({
        address: "partner@remote.test",
        local: false,
        state: "pending",
        attempts: 1,
      }),
    ]);
    expect(Date.parse(entry.recipients[0]!.nextAttemptAt!) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(entry.recipients[0]!.lastError).toMatch(/^451 4\.4\.1 mx\.remote\.test \[127\.0\.0\.1\]/);
    expect((await agent.posture()).queueSize).toBe(before + 1);
    // on disk: the metadata as of the last attempt, and the message as accepted
    const stored = (await readQueue(state.dir)).find((queued) => queued.id === entry.id);
    expect(stored).toMatchObject({
      mailFrom: "alice@example.test",
      authenticatedUser: "alice@example.test",
      recipients: [expect.objectContaining({ attempts: 1, state: "pending" })],
    });
  });
});

describe("message size limit", () => {
  it("refuses a declared SIZE over 25 MiB at MAIL FROM and an oversized body after DATA (552)", async () => {
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      await dialog.command("EHLO client.test");
      expect((await dialog.command("MAIL FROM:<big@remote.test> SIZE=30000000")).code).toBe(552);
      expect((await dialog.command("MAIL FROM:<big@remote.test>")).code).toBe(250);
      expect((await dialog.command("RCPT TO:<bob@example.test>")).code).toBe(250);
      expect((await dialog.command("DATA")).code).toBe(354);
      const line = "x".repeat(998) + "\r\n";
      dialog.write("Subject: huge\r\n\r\n" + line.repeat(Math.ceil((26 * 1024 * 1024) / line.length)));
      const reply = await dialog.command(".");
      expect(reply.code).toBe(552);
    } finally {
      dialog.close();
    }
    expect((await mailboxFiles("example.test", "bob")).some((m) => m.includes("Subject: huge"))).toBe(false);
  });
});
