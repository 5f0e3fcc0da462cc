// Aliases, catch-all (row 5) and vacation replies (row 7) as a correspondent would notice them: a real
// agent on loopback, a real DNS server (SPF and MX records) and a real remote MX. Mail to an alias
// lands in its local targets and leaves for its remote ones; unknown addresses go to the catch-all only
// where the domain set one; a vacation reply goes once per sender per interval, and never to the null
// sender, to a list, or to a sender whose SPF did not pass under require-spf-pass.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { maildirPath } from "../maildir/maildir";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeMx } from "../test-support/fake-mx";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { AutoReplyLedger } from "./auto-reply";

// SPF is computed and written as a header ("tag"), never enforced: these tests are about routing.
const checks = { spfCheck: "tag", dmarcCompliance: "off", dkimVerify: false, dkimSigning: false } as const;

let state: Awaited<ReturnType<typeof tempDir>>;
let dns: TestDnsServer;
let mx: FakeMx;
let agent: RunningAgent;

beforeAll(async () => {
  state = await tempDir("mw-alias-");
  dns = await TestDnsServer.start();
  mx = await FakeMx.start(path.join(state.dir, "fake-mx"));
  dns
    .a("mx.remote.test", "127.0.0.1")
    .mx("remote.test", "mx.remote.test")
    .mx("sender.test", "mx.remote.test")
    .txt("sender.test", "v=spf1 ip4:127.0.0.1 -all")
    .mx("nospf.test", "mx.remote.test"); // no SPF record: "none", never "pass"
  agent = await startTestAgent(path.join(state.dir, "agent"), {
    dnsServers: [dns.address],
    delivery: { remotePort: mx.port, queueRunIntervalMs: 200, connectTimeoutMs: 3000 },
  });
  const hash = await hashPassword("unused-Password-42");
  const config = agentConfig(
    [
      {
        name: "example.test",
        policy: { ...checks, requireSmtpAuth: false },
        mailboxes: { alice: hash, bob: hash, vacation: hash },
        aliases: {
          team: ["alice@example.test", "bob@example.test"],
          fwd: ["partner@remote.test"],
          loop: ["loop@example.test", "alice@example.test"],
        },
        autoReplies: {
          vacation: { subject: "Away", body: "Back on Monday.\nRegards", intervalHours: 24 },
        },
      },
      {
        name: "catchall.test",
        policy: { ...checks, requireSmtpAuth: false, catchAllMailbox: "bucket" },
        mailboxes: { bucket: hash },
      },
    ],
    checks,
  );
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await mx?.close();
  await dns?.close();
  await state?.remove();
});

async function send(options: {
  from: string;
  to: string;
  subject: string;
  headers?: Record<string, string>;
}): Promise<string> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.inbound,
    ignoreTLS: true,
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: options.from, to: [options.to] },
      from: options.from || "robot@sender.test",
      to: options.to,
      subject: options.subject,
      text: `about ${options.subject}`,
      headers: options.headers ?? {},
      messageId: `<${options.subject.replace(/\W/g, "")}@sender.test>`,
    });
    return info.response;
  } finally {
    transport.close();
  }
}

async function mailboxFiles(domain: string, localPart: string): Promise<string[]> {
  const dir = path.join(maildirPath(agent.settings.stateDir, { domain, localPart }), "new");
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8")));
}

function delivered(domain: string, localPart: string, text: string): Promise<string> {
  return waitFor(
    async () => (await mailboxFiles(domain, localPart)).find((message) => message.includes(text)),
    5000,
    `"${text}" in ${localPart}@${domain}`,
  );
}

/** Waits until the queue has been empty for a moment: any reply would have been queued and sent. */
async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await waitFor(() => agent.delivery.size === 0, 10_000, "an empty queue");
}

describe("aliases", () => {
  it("delivers mail for an alias into each of its local mailboxes", async () => {
    expect(await send({ from: "a@sender.test", to: "team@example.test", subject: "For the team" })).toMatch(
      /^250 /,
    );
    await delivered("example.test", "alice", "Subject: For the team");
    await delivered("example.test", "bob", "Subject: For the team");
  });

  it("queues mail for an alias's remote target for remote delivery", async () => {
    await send({ from: "a@sender.test", to: "fwd@example.test", subject: "Forward me" });
    const [received] = await waitFor(() => {
      const found = mx.messagesFor("partner@remote.test");
      return found.length > 0 && found;
    }, 10_000);
    expect(received!.body).toContain("Subject: Forward me");
    expect(received!.mailFrom).toBe("a@sender.test");
  });

  it("survives an alias that names itself (loop-safe), delivering to its other targets", async () => {
    await send({ from: "a@sender.test", to: "loop@example.test", subject: "Round and round" });
    await delivered("example.test", "alice", "Subject: Round and round");
  });
});

describe("catch-all (row 5)", () => {
  it("delivers an unknown address of a domain with a catch-all into the catch-all mailbox", async () => {
    expect(await send({ from: "a@sender.test", to: "whoever@catchall.test", subject: "Caught" })).toMatch(
      /^250 /,
    );
    await delivered("catchall.test", "bucket", "Subject: Caught");
  });

  it("refuses an unknown address at RCPT where there is no catch-all (550)", async () => {
    await expect(
      send({ from: "a@sender.test", to: "whoever@example.test", subject: "Lost" }),
    ).rejects.toThrow(/550 5\.1\.1/);
  });
});

describe("auto-responders (row 7)", () => {
  const repliesTo = (address: string) => mx.messagesFor(address).filter((message) => message.mailFrom === "");

  it("answers an SPF-passing sender once per interval, marked auto-replied and threaded", async () => {
    await send({ from: "a@sender.test", to: "vacation@example.test", subject: "First question" });
    const [reply] = await waitFor(
      () => repliesTo("a@sender.test").length > 0 && repliesTo("a@sender.test"),
      10_000,
    );
    expect(reply!.body).toContain("Auto-Submitted: auto-replied");
    expect(reply!.body).toContain("In-Reply-To: <Firstquestion@sender.test>");
    expect(reply!.body).toContain("References: <Firstquestion@sender.test>");
    expect(reply!.body).toContain("Subject: Away");
    expect(reply!.body).toContain(Buffer.from("Back on Monday.\r\nRegards").toString("base64"));

    await send({ from: "a@sender.test", to: "vacation@example.test", subject: "Second question" });
    await delivered("example.test", "vacation", "Subject: Second question");
    await settled();
    expect(repliesTo("a@sender.test")).toHaveLength(1);
  });

  it("never answers the null sender", async () => {
    const before = mx.received.length;
    await send({ from: "", to: "vacation@example.test", subject: "A bounce" });
    await delivered("example.test", "vacation", "Subject: A bounce");
    await settled();
    expect(mx.received.length).toBe(before);
  });

  it("never answers a mailing list", async () => {
    await send({
      from: "list@sender.test",
      to: "vacation@example.test",
      subject: "List digest",
      headers: { "List-Id": "<news.sender.test>" },
    });
    await delivered("example.test", "vacation", "Subject: List digest");
    await settled();
    expect(repliesTo("list@sender.test")).toHaveLength(0);
  });

  it("never answers a sender whose SPF did not pass, under require-spf-pass", async () => {
    await send({ from: "c@nospf.test", to: "vacation@example.test", subject: "Unverified" });
    await delivered("example.test", "vacation", "Subject: Unverified");
    await settled();
    expect(repliesTo("c@nospf.test")).toHaveLength(0);
  });

  it("remembers replies durably and answers again once the interval is over", async () => {
    const dir = path.join(state.dir, "ledger");
    const start = Date.parse("2026-11-22T00:00:00Z");
    expect(await new AutoReplyLedger(dir).claim("v@example.test", "x@sender.test", 24, start)).toBe(true);
    // a new ledger (as after a restart) reads the same state
    const ledger = new AutoReplyLedger(dir);
    expect(await ledger.claim("v@example.test", "X@sender.test", 24, start + 23 * 3_600_000)).toBe(false);
    expect(await ledger.claim("v@example.test", "y@sender.test", 24, start + 3_600_000)).toBe(true);
    expect(await ledger.claim("v@example.test", "x@sender.test", 24, start + 25 * 3_600_000)).toBe(true);
  });
});
