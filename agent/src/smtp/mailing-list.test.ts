// Row 22 as list members and posters notice it: a real agent on loopback, a real DNS server (SPF, MX)
// and a real remote MX. A member's post reaches every member (Maildir and remote) with List-Id and the
// list's bounce address as envelope sender; a non-member gets 550 5.7.1 naming the rule; moderators-only
// and anyone lists behave as named; a list address takes its own transaction; a signing domain's list
// copies leave with its DKIM signature (row 11).
import path from "node:path";
import { dkimVerify } from "mailauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeMx } from "../test-support/fake-mx";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { deliveredMessage, inboxMessages } from "../test-support/mailbox";
import { SmtpDialog } from "../test-support/smtp-dialog";
import { swaks } from "../test-support/swaks";

const PASSWORD = "Correct-horse-battery-1";
// SPF is enforced as by default (sender.test passes from 127.0.0.1); DKIM/DMARC are not the point here.
const checks = { dmarcCompliance: "off", dkimVerify: false, dkimSigning: false } as const;

let state: Awaited<ReturnType<typeof tempDir>>;
let dns: TestDnsServer;
let mx: FakeMx;
let agent: RunningAgent;

beforeAll(async () => {
  state = await tempDir("mw-list-");
  dns = await TestDnsServer.start();
  mx = await FakeMx.start(path.join(state.dir, "fake-mx"));
  dns
    .a("mx.remote.test", "127.0.0.1")
    .mx("remote.test", "mx.remote.test")
    .mx("sender.test", "mx.remote.test")
    .txt("sender.test", "v=spf1 ip4:127.0.0.1 -all");
  agent = await startTestAgent(path.join(state.dir, "agent"), {
    dnsServers: [dns.address],
    delivery: { remotePort: mx.port, queueRunIntervalMs: 200, connectTimeoutMs: 3000 },
  });
  const hash = await hashPassword(PASSWORD);
  const config = agentConfig(
    [
      {
        name: "lists.test",
        policy: checks,
        mailboxes: { alice: hash, bob: hash, carol: hash, mod: hash },
        mailingLists: [
          {
            localPart: "team",
            name: "Team",
            posting: null, // the domain's default: members
            members: ["alice@lists.test", "Bob@lists.test", "friend@sender.test", "partner@remote.test"],
            moderators: ["mod@lists.test"],
            resumes: [],
          },
          {
            localPart: "announce",
            name: "",
            posting: "moderators",
            members: ["alice@lists.test", "bob@lists.test"],
            moderators: ["mod@lists.test"],
            resumes: [],
          },
        ],
      },
      {
        name: "signed.test",
        policy: { ...checks, dkimSigning: true, mailingListPosting: "anyone" },
        mailboxes: { ann: hash },
        mailingLists: [
          {
            localPart: "news",
            name: "News",
            posting: null,
            members: ["ann@signed.test", "partner@remote.test"],
            moderators: [],
            resumes: [],
          },
          {
            localPart: "staff",
            name: "Staff",
            posting: null,
            members: ["ann@signed.test"],
            moderators: [],
            resumes: [],
          },
        ],
      },
      {
        name: "open.test",
        policy: { ...checks, mailingListPosting: "anyone" },
        mailboxes: { dana: hash },
        mailingLists: [
          {
            localPart: "chat",
            name: "Chat",
            posting: null,
            members: ["dana@open.test"],
            moderators: [],
            resumes: [],
          },
        ],
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

/** An outside server delivering on port 25, unauthenticated. */
function inbound(from: string, to: string, subject: string) {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.inbound)],
    ...["--from", from, "--to", to, "--header", `Subject: ${subject}`, "--body", `about ${subject}`],
  ]);
}

/** A logged-in user on the submission port (STARTTLS, AUTH PLAIN). */
function submit(user: string, to: string, subject: string) {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.submission), "--tls"],
    ...["--auth", "PLAIN", "--auth-user", user, "--auth-password", PASSWORD],
    ...["--from", user, "--to", to, "--header", `Subject: ${subject}`, "--body", `about ${subject}`],
  ]);
}

const inbox = (domain: string, localPart: string, text: string) =>
  deliveredMessage(agent.settings.stateDir, domain, localPart, text);

describe("members-only list (the default)", () => {
  it("a member's post reaches every member's mailbox and the remote members, with the list headers", async () => {
    const sent = await inbound("friend@sender.test", "team@lists.test", "kickoff");
    expect(sent.exitCode, sent.output).toBe(0);

    for (const member of ["alice", "bob"]) {
      const message = await inbox("lists.test", member, "about kickoff");
      expect(message).toContain('List-Id: "Team" <team.lists.test>');
      expect(message).toContain("List-Post: <mailto:team@lists.test>");
      expect(message).toContain("Precedence: list");
    }
    const remote = await waitFor(
      () => mx.messagesFor("partner@remote.test").find((m) => m.body.includes("about kickoff")),
      10_000,
      "the remote member's copy",
    );
    // the envelope sender of a list copy is the list's bounce address, so bounces never reach the poster
    expect(remote.mailFrom).toBe("team-bounces@lists.test");
    expect(remote.body).toContain('List-Id: "Team" <team.lists.test>');
    // a moderator who is not a member receives nothing
    expect((await inboxMessages(agent.settings.stateDir, "lists.test", "mod")).length).toBe(0);
  });

  it("a member's address that fails for good sends no bounce to the poster (nor anywhere)", async () => {
    mx.answer = (recipient) =>
      recipient === "partner@remote.test" ? { code: 550, message: "5.1.1 No such user" } : null;
    try {
      const sent = await inbound("friend@sender.test", "team@lists.test", "gone member");
      expect(sent.exitCode, sent.output).toBe(0);
      await inbox("lists.test", "alice", "about gone member");
      await waitFor(() => agent.delivery.size === 0, 10_000, "an empty queue");
      // the poster got the list copy as a member, and no delivery report
      const toPoster = mx.messagesFor("friend@sender.test").map((message) => message.body);
      expect(toPoster.some((body) => body.includes("about gone member"))).toBe(true);
      expect(toPoster.some((body) => body.includes("multipart/report"))).toBe(false);
      expect(
        mx.received.some((message) => message.mailFrom === "" && message.body.includes("gone member")),
      ).toBe(false);
    } finally {
      mx.answer = () => null;
    }
  });

  it("a non-member is refused at RCPT with 550 5.7.1 naming the rule", async () => {
    const sent = await inbound("stranger@sender.test", "team@lists.test", "spam");
    expect(sent.exitCode).toBe(24);
    expect(sent.output).toContain(
      "550 5.7.1 Mailing list team@lists.test accepts posts only from its members (rule mailing-list)",
    );
  });

  it("a logged-in member posts; a logged-in non-member is refused; a moderator may post too", async () => {
    const member = await submit("alice@lists.test", "team@lists.test", "from alice");
    expect(member.exitCode, member.output).toBe(0);
    await inbox("lists.test", "bob", "about from alice");

    const outsider = await submit("carol@lists.test", "team@lists.test", "from carol");
    expect(outsider.exitCode).toBe(24);
    expect(outsider.output).toContain("accepts posts only from its members");

    const moderator = await submit("mod@lists.test", "team@lists.test", "from the moderator");
    expect(moderator.exitCode, moderator.output).toBe(0);
    await inbox("lists.test", "alice", "about from the moderator");
  });

  it("the null sender never posts: a bounce to a list would reach every member", async () => {
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      await dialog.command("EHLO mx.sender.test");
      expect((await dialog.command("MAIL FROM:<>")).code).toBe(250);
      const refused = await dialog.command("RCPT TO:<team@lists.test>");
      expect(refused.text).toBe("550 5.7.1 Mailing list team@lists.test does not accept bounces");
    } finally {
      dialog.close();
    }
  });

  it("a list address takes its own transaction (452 for a recipient next to it)", async () => {
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      await dialog.command("EHLO client.sender.test");
      expect((await dialog.command("MAIL FROM:<friend@sender.test>")).code).toBe(250);
      expect((await dialog.command("RCPT TO:<team@lists.test>")).code).toBe(250);
      const next = await dialog.command("RCPT TO:<alice@lists.test>");
      expect(next.code).toBe(452);
      expect(next.text).toContain("4.5.3 A mailing list takes its own message");
    } finally {
      dialog.close();
    }
  });
});

describe("moderators-only and open lists", () => {
  it("moderators: a member is refused, the moderator's post reaches the members", async () => {
    const member = await submit("alice@lists.test", "announce@lists.test", "alice announces");
    expect(member.exitCode).toBe(24);
    expect(member.output).toContain(
      "550 5.7.1 Mailing list announce@lists.test accepts posts only from its moderators (rule mailing-list)",
    );

    const moderator = await submit("mod@lists.test", "announce@lists.test", "release day");
    expect(moderator.exitCode, moderator.output).toBe(0);
    const message = await inbox("lists.test", "bob", "about release day");
    expect(message).toContain("List-Id: <announce.lists.test>");
  });

  it("anyone (the domain's setting): an outsider's post reaches the members, still SPF-checked", async () => {
    const sent = await inbound("stranger@sender.test", "chat@open.test", "hello all");
    expect(sent.exitCode, sent.output).toBe(0);
    await inbox("open.test", "dana", "about hello all");

    // a sender whose domain's SPF does not allow this host: still refused, by SPF, at DATA
    dns.txt("forged.test", "v=spf1 -all");
    const forged = await inbound("someone@forged.test", "chat@open.test", "forged");
    expect(forged.exitCode).not.toBe(0);
    expect(forged.output).toMatch(/550 5\.7\.\d+/);
  });
});

describe("DKIM signing of list copies (row 11)", () => {
  it("copies leaving for remote members carry the list domain's signature, list fields signed, verifiable with the published key", async () => {
    const sent = await inbound("stranger@sender.test", "news@signed.test", "signed news");
    expect(sent.exitCode, sent.output).toBe(0);
    const remote = await waitFor(
      () => mx.messagesFor("partner@remote.test").find((m) => m.body.includes("about signed news")),
      10_000,
      "the remote member's copy",
    );
    const signature = /^DKIM-Signature:[^]*?(?=\r?\n\S)/m.exec(remote.body)?.[0] ?? "";
    expect(signature).toMatch(/d=signed\.test/);
    const signedFields = (/h=([^;]*)/.exec(signature.replace(/\s+/g, ""))?.[1] ?? "")
      .toLowerCase()
      .split(":");
    expect(signedFields).toEqual(expect.arrayContaining(["from", "subject", "list-id", "list-post"]));
    // the record the console shows for signed.test verifies it
    const published = (await agent.posture()).dkim?.find((key) => key.domain === "signed.test");
    if (!published) throw new Error("no DKIM key published for signed.test");
    const resolver = async (name: string) => {
      if (name !== `${published.selector}._domainkey.signed.test`) {
        throw Object.assign(new Error("no such record"), { code: "ENOTFOUND" });
      }
      return [[`v=DKIM1; k=rsa; p=${published.publicKey}`]];
    };
    const verified = await dkimVerify(Buffer.from(remote.body), { resolver });
    expect(verified.results.map((result) => [result.signingDomain, result.status.result])).toContainEqual([
      "signed.test",
      "pass",
    ]);
  });

  it("a list whose copies all stay on this server is not signed", async () => {
    const sent = await inbound("stranger@sender.test", "staff@signed.test", "staff only");
    expect(sent.exitCode, sent.output).toBe(0);
    const copy = await inbox("signed.test", "ann", "about staff only");
    expect(copy).toContain('List-Id: "Staff" <staff.signed.test>');
    expect(copy).not.toMatch(/^DKIM-Signature:/m);
  });
});
