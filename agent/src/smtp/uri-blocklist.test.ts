// Row 18 as a mail admin notices it: links in inbound mail are looked up in the server's URI blocklist
// zones, served here by a DNS server on loopback and asked through the agent's own resolver. Under
// "tag" a message with a listed link arrives with an X-Mailwarden-URIBL header naming link and list,
// also when the link is hidden in a base64 or quoted-printable body; under "reject" it is refused with
// 554 naming the list. The lists' "query refused" answers never count as a listing.
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicy, type Policy } from "@mailwarden/policy";
import type { RunningAgent } from "../agent";
import { TestDnsServer } from "../test-support/dns-zone";
import { agentConfig, hashPassword, startTestAgent, tempDir } from "../test-support/fixtures";
import { deliveredMessage } from "../test-support/mailbox";
import { swaks } from "../test-support/swaks";

let agent: RunningAgent;
let dns: TestDnsServer;
let state: Awaited<ReturnType<typeof tempDir>>;
let revision = 0;

async function applyServerPolicy(server: Partial<Policy>): Promise<void> {
  revision += 1;
  const config = agentConfig(
    [{ name: "example.test", mailboxes: { bob: await hashPassword("unused-Password-1") } }],
    { uriBlocklistZones: ["uribl.test", "dbl.test"], ...server },
  );
  expect(await agent.applyConfig(revision, config)).toEqual({ ok: true, revision });
}

beforeAll(async () => {
  state = await tempDir();
  dns = await TestDnsServer.start();
  dns
    .a("evil.test.uribl.test", "127.0.0.2")
    .a("phish.example.net.dbl.test", "127.0.1.2")
    // "you may not query this list" / "error" answers, not listings.
    .a("refused.test.uribl.test", "127.0.0.1")
    .a("refused.test.dbl.test", "127.255.255.254");
  agent = await startTestAgent(state.dir, { dnsServers: [dns.address], dnsTimeoutMs: 200 });
  await applyServerPolicy({});
});

afterAll(async () => {
  await agent?.stop();
  await dns?.close();
  await state?.remove();
});

function inbound(subject: string, body: string, headers: string[] = []) {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.inbound)],
    ...["--from", "news@remote.test", "--to", "bob@example.test"],
    ...["--header", `Subject: ${subject}`, "--body", body],
    ...headers.flatMap((header) => ["--add-header", header]),
  ]);
}

describe("URI blocklists (row 18), tag (the default)", () => {
  it("tags a message linking to a listed domain, naming link and list", async () => {
    const result = await inbound("tagged link", "Log in at http://www.evil.test/login now");
    expect(result.exitCode).toBe(0);
    const message = await deliveredMessage(state.dir, "example.test", "bob", "Subject: tagged link");
    expect(message).toMatch(/^X-Mailwarden-URIBL: www\.evil\.test listed by uribl\.test\r\n/);
    expect(dns.queries).toContainEqual({ name: "evil.test.uribl.test", type: "A" });
  });

  it("finds the link in a base64 HTML part and a subdomain listed in the second zone", async () => {
    const client = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.inbound,
      tls: { rejectUnauthorized: false },
    });
    try {
      await client.sendMail({
        from: "news@remote.test",
        to: "bob@example.test",
        subject: "encoded link",
        html: '<p>Hello, <a href="https://phish.example.net/verify">verify your account</a></p>',
        textEncoding: "base64",
      });
    } finally {
      client.close();
    }
    const message = await deliveredMessage(state.dir, "example.test", "bob", "Subject: encoded link");
    expect(message).toContain("X-Mailwarden-URIBL: phish.example.net listed by dbl.test");
    expect(message).not.toContain("https://phish.example.net");
  });

  it("delivers untagged when a list cannot be asked: tag never holds mail back", async () => {
    dns.unanswered.add("dead.test.uribl.test");
    const result = await inbound("dead list, tag", "http://dead.test/");
    expect(result.exitCode).toBe(0);
    const message = await deliveredMessage(state.dir, "example.test", "bob", "Subject: dead list, tag");
    expect(message).not.toContain("X-Mailwarden-URIBL");
  });

  it("does not tag clean links or the lists' refusal answers", async () => {
    const result = await inbound("clean links", "See https://clean.test/ and http://refused.test/");
    expect(result.exitCode).toBe(0);
    const message = await deliveredMessage(state.dir, "example.test", "bob", "Subject: clean links");
    expect(message).not.toContain("X-Mailwarden-URIBL");
  });
});

describe("URI blocklists (row 18), reject and off", () => {
  it("reject: refuses the message with 554 naming the list", async () => {
    await applyServerPolicy({ uriBlocklist: "reject" });
    const result = await inbound("rejected link", "Quoted-printable hides nothing: http://ev=\nil.test/x", [
      "Content-Transfer-Encoding: quoted-printable",
    ]);
    expect(result.exitCode).toBe(26);
    expect(result.output).toContain("554 5.7.1 Message refused: it links to evil.test, listed by uribl.test");
  });

  it("reject: tempfails (451) when a list cannot be asked, rather than letting the link through", async () => {
    dns.unanswered.add("slow.test.uribl.test");
    const result = await inbound("dead list", "http://slow.test/");
    expect(result.exitCode).toBe(26);
    expect(result.output).toContain("451 4.4.3 URI blocklist lookup failed");
  });

  it("off: asks no list and delivers", async () => {
    await applyServerPolicy({ uriBlocklist: "off" });
    const before = dns.queries.length;
    const result = await inbound("unchecked link", "http://www.evil.test/");
    expect(result.exitCode).toBe(0);
    const message = await deliveredMessage(state.dir, "example.test", "bob", "Subject: unchecked link");
    expect(message).not.toContain("X-Mailwarden-URIBL");
    // about this link: c-ares may still resend the dead list's query above after the agent gave up on it
    const asked = dns.queries
      .slice(before)
      .filter((query) => /evil\.test\.(uribl|dbl)\.test$/.test(query.name));
    expect(asked).toEqual([]);
    await applyServerPolicy({ uriBlocklist: defaultPolicy.uriBlocklist });
  });
});
