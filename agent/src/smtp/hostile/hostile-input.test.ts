// Hostile input against the real listeners (inbound with and without STARTTLS, submission 587 and
// 465): SMTP smuggling, over-long and binary lines, command floods, recipient floods, broken AUTH data,
// garbage instead of TLS, slowloris sessions and connection hoarding. Each gets its reply code, the
// server keeps serving, and real mail still lands in the Maildir.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import nodemailer from "nodemailer";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../../agent";
import { maildirPath } from "../../maildir/maildir";
import { emptyTestZone } from "../../test-support/dns-zone";
import { agentConfig, hashPassword, loopbackSettings, tempDir, waitFor } from "../../test-support/fixtures";
import { RawSession, type RawReply } from "./raw-session";

const IDLE_MS = 2000;
const ALICE_PASSWORD = "alice-Correct-horse-1";
const plainAuth = (user: string, password: string) =>
  Buffer.from(`\0${user}\0${password}`).toString("base64");

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  state = await tempDir();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  agent = await startAgent({
    config: loopbackSettings(state.dir, {
      // Sessions from 127.0.0.x are looked up in blocklists and reverse DNS: never in the host's DNS.
      dnsServers: [(await emptyTestZone()).address],
      smtp: { idleTimeoutMs: IDLE_MS },
    }),
    logger: pino({ level: "debug" }, sink),
    connectToHub: false,
  });
  const hash = await hashPassword(ALICE_PASSWORD);
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`u${i}`, hash]));
  const config = agentConfig(
    [
      { name: "example.test", policy: { requireSmtpAuth: true }, mailboxes: { alice: hash, bob: hash } },
      { name: "many.test", policy: { requireSmtpAuth: false }, mailboxes: many },
    ],
    { connectionLimits: { maxConcurrent: 40, maxPerIp: 15, maxNewPerIpPerMinute: 60 } },
  );
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

async function mailbox(domain: string, localPart: string): Promise<string[]> {
  const dir = path.join(maildirPath(state.dir, { domain, localPart }), "new");
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((name) => readFile(path.join(dir, name), "latin1")));
}

function guardDecisions(rule: string): Record<string, unknown>[] {
  return logLines.filter((line) => line.msg === "guard decided" && line.rule === rule);
}

/** Sends a message with nodemailer, as a well-behaved client would (as alice on submission). */
async function sendNormally(subject: string, options: { submission?: boolean; localAddress?: string } = {}) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: options.submission ? agent.ports.submission : agent.ports.inbound,
    secure: false,
    requireTLS: options.submission,
    auth: options.submission ? { user: "alice@example.test", pass: ALICE_PASSWORD } : undefined,
    localAddress: options.localAddress,
    tls: { rejectUnauthorized: false },
  });
  try {
    return await transport.sendMail({
      from: options.submission ? "alice@example.test" : "friend@remote.test",
      to: "bob@example.test",
      subject,
      text: "a normal message\n.\nwith a dot line, which nodemailer dot-stuffs",
    });
  } finally {
    transport.close();
  }
}

/** Waits for a message: the 250 may come before the queue's delivery worker writes the Maildir. */
async function delivered(subject: string, domain = "example.test", localPart = "bob"): Promise<string> {
  return waitFor(
    async () =>
      (await mailbox(domain, localPart)).find((message) => message.includes(`Subject: ${subject}\r\n`)),
    10_000,
    `"${subject}" in ${localPart}@${domain}`,
  );
}

async function expectDelivered(subject: string): Promise<void> {
  await delivered(subject);
  const messages = await mailbox("example.test", "bob");
  expect(messages.filter((message) => message.includes(`Subject: ${subject}\r\n`))).toHaveLength(1);
}

type Listener = "inbound" | "inbound+STARTTLS" | "submission+STARTTLS" | "submissionTls";

/** An EHLO'd session, authenticated as alice on the submission listeners. */
async function openSession(listener: Listener): Promise<RawSession> {
  const session = await RawSession.connect(
    listener === "submissionTls"
      ? agent.ports.submissionTls
      : agent.ports[listener.startsWith("inbound") ? "inbound" : "submission"],
    { implicitTls: listener === "submissionTls" },
  );
  expect((await session.command("EHLO client.test")).code).toBe(250);
  if (listener.endsWith("STARTTLS")) {
    await session.startTls();
    expect((await session.command("EHLO client.test")).code).toBe(250);
  }
  if (listener.startsWith("submission")) {
    expect(
      (await session.command(`AUTH PLAIN ${plainAuth("alice@example.test", ALICE_PASSWORD)}`)).code,
    ).toBe(235);
  }
  return session;
}

const codes = (replies: readonly RawReply[]) => replies.map((reply) => reply.code);

describe("SMTP smuggling", () => {
  const terminators = ["\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n"];
  const listeners: Listener[] = ["inbound", "inbound+STARTTLS", "submission+STARTTLS", "submissionTls"];

  it("a smuggled second message is refused with the first, never accepted or even parsed", async () => {
    const attempts = listeners.flatMap((listener) =>
      terminators.map((terminator, index) => ({ listener, terminator, index })),
    );
    await Promise.all(
      attempts.map(async ({ listener, terminator, index }) => {
        const session = await openSession(listener);
        const sender = listener.startsWith("submission")
          ? "alice@example.test"
          : `smuggler${index}@remote.test`;
        const before = session.replies.length;
        // Everything in one write, as a smuggler pipelines it: the forged message rides inside the
        // first one's DATA, behind a terminator some other MTA would accept.
        await session.write(
          `MAIL FROM:<${sender}>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n` +
            `Subject: carrier ${listener} ${index}\r\n\r\nhello${terminator}` +
            `MAIL FROM:<smuggled@evil.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n` +
            `Subject: smuggled ${listener} ${index}\r\n\r\nforged\r\n.\r\nQUIT\r\n`,
        );
        await session.waitForClose();
        const replies = session.replies.slice(before);
        expect(codes(replies), `${listener} ${JSON.stringify(terminator)}`).toEqual([
          250, 250, 354, 550, 221,
        ]);
        expect(replies[3]!.text).toBe(
          "550 5.6.11 Bare LF or CR not allowed in message (SMTP smuggling protection)",
        );
      }),
    );
    // A message sent after them has arrived, so anything accepted before it would be there too.
    await sendNormally("after the smugglers");
    await expectDelivered("after the smugglers");
    const stored = (await mailbox("example.test", "bob")).filter((m) =>
      /Subject: (carrier|smuggled)/.test(m),
    );
    expect(stored).toEqual([]);
    // The carrier's MAIL FROM went through the rules (debug log); the smuggled one never did.
    expect(JSON.stringify(logLines)).toContain("smuggler0@remote.test");
    expect(JSON.stringify(logLines)).not.toContain("smuggled@evil.test");
    expect(guardDecisions("data.bare-line-ending")).toHaveLength(attempts.length);
  });

  it("holds when the smuggling bytes arrive one TCP write at a time", async () => {
    const session = await openSession("inbound");
    await session.write("MAIL FROM:<bytewise@remote.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
    await session.waitForReplies(5);
    const payload = "hello\r\n.\nMAIL FROM:<smuggled@evil.test>\r\n\r\n.\r\n";
    for (const byte of payload) {
      await session.write(byte);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await session.waitForReplies(6);
    expect(session.replies[5]!.code).toBe(550);
    expect((await session.command("QUIT")).code).toBe(221);
    expect(JSON.stringify(logLines)).not.toContain("smuggled@evil.test");
  });

  it("a CRLF-clean message whose body looks like SMTP commands is one message", async () => {
    const session = await openSession("inbound");
    await session.write(
      "MAIL FROM:<clean@remote.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n" +
        "Subject: looks like smtp\r\n\r\n..\r\nMAIL FROM:<in-body@evil.test>\r\n.\r\nQUIT\r\n",
    );
    await session.waitForClose();
    expect(codes(session.replies.slice(2))).toEqual([250, 250, 354, 250, 221]);
    const message = await delivered("looks like smtp");
    expect(message).toContain("\r\n.\r\nMAIL FROM:<in-body@evil.test>\r\n");
  });
});

describe("over-long lines and binary bytes", () => {
  it("answers 500 to a 3,000-octet command and carries on; AUTH lines may be longer", async () => {
    const session = await openSession("submission+STARTTLS");
    expect((await session.command("NOOP " + "x".repeat(3000))).text).toBe(
      "500 5.5.2 Line too long (limit 2048 octets)",
    );
    expect((await session.command("NOOP")).code).toBe(250);
    session.destroy();

    const auth = await RawSession.connect(agent.ports.submissionTls, { implicitTls: true });
    await auth.command("EHLO client.test");
    const longPassword = "p".repeat(4000);
    expect((await auth.command(`AUTH PLAIN ${plainAuth("alice@example.test", longPassword)}`)).code).toBe(
      535,
    );
    auth.destroy();
  });

  it("closes with 421 when a command line passes 16 KiB without ending", async () => {
    const session = await RawSession.connect(agent.ports.inbound);
    await session.write("NOOP " + "x".repeat(20_000));
    await session.waitForClose();
    expect(session.replies.at(-1)!.text).toBe("421 Error: Command line too long");
  });

  it("refuses NUL bytes and bare CRs in commands with 500", async () => {
    const session = await openSession("inbound");
    expect((await session.command("MAIL FROM:<a\0b@remote.test>")).text).toBe(
      "500 5.5.2 Invalid character in command (NUL, CR or control byte)",
    );
    expect((await session.command("NOOP\rMAIL FROM:<cr@remote.test>")).code).toBe(500);
    expect((await session.command("MAIL FROM:<ok@remote.test>")).code).toBe(250);
    session.destroy();
  });

  it("refuses NUL bytes in DATA (550) and lines over 998 octets (552), accepts exactly 998", async () => {
    const session = await openSession("inbound");
    const transaction = async (body: string) => {
      await session.command("MAIL FROM:<lines@remote.test>");
      await session.command("RCPT TO:<bob@example.test>");
      expect((await session.command("DATA")).code).toBe(354);
      return session.command(body + "\r\n.");
    };
    expect((await transaction("Subject: nul\r\n\r\na\0b")).text).toBe(
      "550 5.6.0 NUL byte not allowed in message",
    );
    expect((await transaction("Subject: long\r\n\r\n" + "y".repeat(999))).text).toBe(
      "552 5.6.0 Message has a line longer than 998 octets (RFC 5321 4.5.3.1.6)",
    );
    expect((await transaction("Subject: exactly 998\r\n\r\n" + "y".repeat(998))).code).toBe(250);
    session.destroy();
    await expectDelivered("exactly 998");
    expect(await mailbox("example.test", "bob")).not.toContainEqual(expect.stringContaining("Subject: nul"));
  });
});

describe("floods", () => {
  it("5,000 pipelined unknown commands: ten 500s, then 421 and closed", async () => {
    const session = await RawSession.connect(agent.ports.inbound);
    await session.write("XYZZY\r\n".repeat(5000));
    await session.waitForClose();
    expect(codes(session.replies.slice(1))).toEqual([...Array(9).fill(500), 421]);
  });

  it("5,000 pipelined NOOPs or RSETs: 100 answered, then 421 4.7.0 and closed", async () => {
    for (const command of ["NOOP", "RSET"]) {
      const session = await RawSession.connect(agent.ports.submission);
      await session.write(`${command}\r\n`.repeat(5000));
      await session.waitForClose();
      const replies = session.replies.slice(1);
      expect(replies).toHaveLength(101);
      expect(replies.at(-1)!.text).toBe("421 4.7.0 Too many commands without a message, closing connection");
    }
  });

  it("twenty errors of any kind end the session with 421", async () => {
    const session = await openSession("inbound");
    await session.write(
      "MAIL FROM:<not an address\r\n".repeat(10) + "RCPT TO:<nobody@example.test>\r\n".repeat(30),
    );
    await session.waitForClose();
    const replies = session.replies.slice(2);
    expect(codes(replies)).toEqual([...Array(10).fill(501), ...Array(10).fill(503), 421]);
    expect(replies.at(-1)!.text).toBe("421 4.7.0 Too many errors, closing connection");
    expect(guardDecisions("session.error-limit").length).toBeGreaterThan(0);
  });

  it("1,000 pipelined RCPTs: the first 100 are judged, 900 get 452 4.5.3, the message goes through", async () => {
    const session = await openSession("inbound");
    // u0…u99 are real mailboxes; the other 900 are never looked at.
    const rcpts = Array.from(
      { length: 1000 },
      (_, i) => `RCPT TO:<${i < 100 ? `u${i}` : `extra${i}`}@many.test>`,
    );
    await session.write(`MAIL FROM:<list@remote.test>\r\n${rcpts.join("\r\n")}\r\nDATA\r\n`);
    await session.waitForReplies(2 + 1 + 1000 + 1);
    const replies = session.replies.slice(3);
    expect(codes(replies.slice(0, 100))).toEqual(Array(100).fill(250));
    expect(new Set(replies.slice(100, 1000).map((reply) => reply.text))).toEqual(
      new Set(["452 4.5.3 Too many recipients"]),
    );
    expect(replies[1000]!.code).toBe(354);
    expect((await session.command("Subject: to a hundred\r\n\r\nhi\r\n.")).code).toBe(250);
    session.destroy();
    for (const i of [0, 42, 99]) await delivered("to a hundred", "many.test", `u${i}`);
  });

  it("more than 1,000 RCPTs over the limit in one transaction: 421", async () => {
    const session = await openSession("inbound");
    await session.write("MAIL FROM:<flood@remote.test>\r\n" + "RCPT TO:<u1@many.test>\r\n".repeat(1200));
    await session.waitForClose();
    expect(session.replies.at(-1)!.text).toBe("421 4.7.0 Too many recipients, closing connection");
    expect(session.replies).toHaveLength(2 + 1 + 100 + 1000 + 1);
  });
});

describe("AUTH with invalid base64", () => {
  it("gets 501 for the initial response and for continuation lines, and the session stays usable", async () => {
    for (const listener of ["submission", "submissionTls"] as const) {
      const s = await RawSession.connect(agent.ports[listener], {
        implicitTls: listener === "submissionTls",
      });
      await s.command("EHLO client.test");
      if (listener === "submission") {
        await s.startTls();
        await s.command("EHLO client.test");
      }
      expect((await s.command("AUTH PLAIN !!!not-base64!!!")).text).toBe(
        "501 5.5.2 Invalid base64 data in authentication",
      );
      expect((await s.command("AUTH LOGIN")).code).toBe(334);
      expect((await s.command("%%%%")).code).toBe(501);
      expect(
        (await s.command(`AUTH LOGIN ${Buffer.from("alice@example.test").toString("base64")}`)).code,
      ).toBe(334);
      expect((await s.command("not base64 at all")).code).toBe(501);
      expect((await s.command(`AUTH PLAIN ${plainAuth("alice@example.test", ALICE_PASSWORD)}`)).code).toBe(
        235,
      );
      s.destroy();
    }
  });
});

describe("garbage instead of TLS", () => {
  it("on 465 and after STARTTLS: the connection is closed and the server goes on", async () => {
    const garbage = Buffer.alloc(4096, 0);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;

    const implicit = await RawSession.connectRaw(agent.ports.submissionTls);
    await implicit.write(garbage);
    await implicit.waitForClose(5000);
    expect(implicit.replies).toEqual([]);

    const plaintextOn465 = await RawSession.connectRaw(agent.ports.submissionTls);
    await plaintextOn465.write("EHLO client.test\r\n");
    await plaintextOn465.waitForClose(5000);

    for (const port of [agent.ports.inbound, agent.ports.submission]) {
      const session = await RawSession.connect(port);
      await session.command("EHLO client.test");
      expect((await session.command("STARTTLS")).code).toBe(220);
      await session.write(garbage);
      await session.waitForClose(5000);
    }

    await sendNormally("after tls garbage");
    await expectDelivered("after tls garbage");
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submissionTls,
      secure: true,
      auth: { user: "alice@example.test", pass: ALICE_PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({
      from: "alice@example.test",
      to: "bob@example.test",
      subject: "465 after garbage",
    });
    transport.close();
    await expectDelivered("465 after garbage");
  });
});

describe("slow and idle sessions", () => {
  const trickle = async (session: RawSession, bytes: string | Buffer, everyMs: number) => {
    for (const byte of Buffer.from(bytes)) {
      if (session.isClosed) return;
      await session.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };
  const clientHello = Buffer.from("16030102000100019c0303" + "ab".repeat(200), "hex");

  it("idle, byte-trickling (commands, DATA, TLS handshakes) sessions are closed after the idle timeout", async () => {
    const started = Date.now();
    const lifetimes = await Promise.all([
      (async () => {
        const idle = await RawSession.connect(agent.ports.inbound);
        await idle.waitForClose(IDLE_MS * 3);
        return { name: "idle", session: idle };
      })(),
      (async () => {
        const slow = await RawSession.connect(agent.ports.submission);
        void trickle(slow, "EHLO a-very-slow-client.test\r\n".repeat(4), 150);
        await slow.waitForClose(IDLE_MS * 3);
        return { name: "command trickle", session: slow };
      })(),
      (async () => {
        const slowData = await openSession("inbound");
        await slowData.command("MAIL FROM:<slow@remote.test>");
        await slowData.command("RCPT TO:<bob@example.test>");
        await slowData.command("DATA");
        void trickle(slowData, "Subject: slowloris\r\n\r\n" + "z".repeat(200), 150);
        await slowData.waitForClose(IDLE_MS * 3);
        return { name: "DATA trickle", session: slowData };
      })(),
      (async () => {
        const handshake = await RawSession.connect(agent.ports.inbound);
        await handshake.command("EHLO client.test");
        await handshake.command("STARTTLS");
        void trickle(handshake, clientHello, 150);
        await handshake.waitForClose(IDLE_MS * 3);
        return { name: "STARTTLS handshake trickle", session: handshake };
      })(),
      (async () => {
        const implicit = await RawSession.connectRaw(agent.ports.submissionTls);
        void trickle(implicit, clientHello, 150);
        await implicit.waitForClose(IDLE_MS * 3);
        return { name: "465 handshake trickle", session: implicit };
      })(),
    ]);
    for (const { name, session } of lifetimes) {
      const lifetime = (await session.closed) - session.openedAt;
      expect(lifetime, name).toBeGreaterThanOrEqual(IDLE_MS - 50);
      expect(lifetime, name).toBeLessThan(IDLE_MS + 1500);
    }
    for (const { session } of lifetimes.slice(0, 3)) {
      expect(session.replies.at(-1)!.text).toBe("421 4.4.2 mx.agent.test Error: timeout exceeded");
    }
    expect(Date.now() - started).toBeLessThan(IDLE_MS * 3);
    expect(await mailbox("example.test", "bob")).not.toContainEqual(expect.stringContaining("slowloris"));
    expect(guardDecisions("session.idle-timeout").length).toBeGreaterThanOrEqual(5);
  });

  it("a session that keeps completing commands is not closed", async () => {
    const session = await openSession("inbound");
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 2));
      expect((await session.command("MAIL FROM:<patient@remote.test>")).code).toBe(250);
      expect((await session.command("RSET")).code).toBe(250);
    }
    expect(session.isClosed).toBe(false);
    session.destroy();
  });
});

describe("connection hoarding", () => {
  it("caps sessions per client address and per listener; others still get through", async () => {
    const hoard: RawSession[] = [];
    try {
      const connectMany = async (count: number, localAddress: string) =>
        hoard.push(
          ...(await Promise.all(
            Array.from({ length: count }, () => RawSession.connect(agent.ports.inbound, { localAddress })),
          )),
        );
      // Not from 127.0.0.1: the host itself is held only to the total.
      await connectMany(15, "127.0.0.6");
      expect(hoard.every((session) => session.replies[0]!.code === 220)).toBe(true);
      const extra = await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.6" });
      expect(extra.replies[0]!.text).toBe(
        "421 4.7.0 mx.agent.test Too many connections from your address, try again later",
      );
      await extra.waitForClose();

      await sendNormally("while hoarded", { localAddress: "127.0.0.2" });
      await expectDelivered("while hoarded");

      await connectMany(15, "127.0.0.3");
      await connectMany(10, "127.0.0.4");
      const full = await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.5" });
      expect(full.replies[0]!.text).toBe(
        "421 4.7.0 mx.agent.test Too many connected clients, try again later",
      );
      await full.waitForClose();
      // The other listeners have their own budget.
      await sendNormally("other listener", { submission: true, localAddress: "127.0.0.5" });
      await expectDelivered("other listener");
    } finally {
      for (const session of hoard) session.destroy();
    }
    expect(guardDecisions("connect.max-clients-per-address").length).toBeGreaterThan(0);
    expect(guardDecisions("connect.max-clients").length).toBeGreaterThan(0);
  });
});
