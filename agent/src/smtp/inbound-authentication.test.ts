// SPF, DKIM, DMARC (rows 8-10) and DKIM signing (row 11) as a mail admin would notice them: a real
// agent on loopback, a real client (nodemailer), a real DNS server on loopback (dns2) serving the
// senders' SPF, DKIM and DMARC records to the agent's own resolver, and a fake MX for outbound mail.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { dkimSign, dkimVerify, type DKIMSignOptions } from "mailauth";
import { generateKeyPairSync } from "node:crypto";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { createDnsResolver } from "../dns/resolver";
import { JUNK_FOLDER, maildirFolderPath } from "../maildir/maildir";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeMx } from "../test-support/fake-mx";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { SmtpDialog } from "../test-support/smtp-dialog";

const ALICE_PASSWORD = "alice-Correct-horse-1";

let dns: TestDnsServer;
let mx: FakeMx;
let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;
const senderKey = generateKeyPairSync("rsa", { modulusLength: 2048 });

beforeAll(async () => {
  state = await tempDir();
  dns = await TestDnsServer.start();
  dns
    .txt("pass.test", "v=spf1 ip4:127.0.0.1 -all")
    .txt("fail.test", "v=spf1 ip4:192.0.2.1 -all")
    .txt("reject.test", "v=spf1 ?all")
    .txt("_dmarc.reject.test", "v=DMARC1; p=reject")
    .txt("quarantine.test", "v=spf1 ?all")
    .txt("_dmarc.quarantine.test", "v=DMARC1; p=quarantine")
    .txt("signed.test", "v=spf1 ?all")
    .txt("_dmarc.signed.test", "v=DMARC1; p=reject")
    .txt(
      "sel1._domainkey.signed.test",
      `v=DKIM1; k=rsa; p=${senderKey.publicKey.export({ type: "spki", format: "der" }).toString("base64")}`,
    )
    // an SPF fail with an explanation whose lookup never gets an answer (see "dns.unanswered" below)
    .txt("explained.test", "v=spf1 ip4:192.0.2.1 -all exp=why.explained.test")
    // RFC 7208 §4.6: the whole record is checked before it is used; mailauth's lenient mode stops
    // reading at the matching term and passes these
    .txt("badcidr.test", "v=spf1 ip4:127.0.0.1 -all ip4:192.0.2.0/33")
    .txt("_dmarc.badcidr.test", "v=DMARC1; p=reject")
    .txt("twoexp.test", "v=spf1 ip4:127.0.0.1 exp=a.twoexp.test exp=b.twoexp.test -all")
    .mx("remote.test", "mx.remote.test")
    .a("mx.remote.test", "127.0.0.1");
  mx = await FakeMx.start(path.join(state.dir, "fake-mx"));
  agent = await startTestAgent(path.join(state.dir, "agent"), {
    dnsServers: [dns.address],
    dnsTimeoutMs: 200,
    delivery: { remotePort: mx.port },
  });
  const config = agentConfig([
    { name: "strict.test", mailboxes: { ann: await hashPassword("ann-unused-Password-1") } },
    {
      name: "tagged.test",
      policy: { spfCheck: "tag", dmarcCompliance: "tag" },
      mailboxes: { tom: await hashPassword("tom-unused-Password-2") },
    },
    { name: "example.test", mailboxes: { alice: await hashPassword(ALICE_PASSWORD) } },
  ]);
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await mx?.close();
  await dns?.close();
  await state?.remove();
});

let counter = 0;
function rawMessage(from: string, to: string, subject: string): string {
  counter += 1;
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <t${counter}.${Date.now()}@client.test>`,
    "",
    `Body of ${subject}.`,
    "",
  ].join("\r\n");
}

/** Sends over the inbound port as a remote server would; resolves with the final reply text. */
async function sendInbound(from: string, to: string, raw: string): Promise<string> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.inbound,
    secure: false,
    name: "client.test",
    tls: { rejectUnauthorized: false },
  });
  try {
    const info = await transport.sendMail({ envelope: { from, to: [to] }, raw });
    return info.response;
  } catch (error) {
    return (error as { response?: string }).response ?? String(error);
  } finally {
    transport.close();
  }
}

async function folderMessages(address: string, folder?: string): Promise<string[]> {
  const [localPart, domain] = address.split("@") as [string, string];
  const dir = path.join(maildirFolderPath(agent.settings.stateDir, { domain, localPart }, folder), "new");
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8")));
}

async function delivered(address: string, subject: string, folder?: string): Promise<string> {
  return waitFor(
    async () =>
      (await folderMessages(address, folder)).find((message) => message.includes(`Subject: ${subject}`)),
    5000,
    `${subject} in ${address}${folder ? `/.${folder}` : ""}`,
  );
}

/** Neither waiting in the queue nor delivered to any mailbox folder. */
async function storedAnywhere(from: string, subject: string): Promise<boolean> {
  // Queue first: an entry leaves it only once delivered, and the mailboxes are looked at afterwards.
  if (agent.delivery.list().entries.some((entry) => entry.mailFrom === from)) return true;
  for (const address of ["ann@strict.test", "tom@tagged.test"]) {
    for (const folder of [undefined, JUNK_FOLDER]) {
      if ((await folderMessages(address, folder)).some((message) => message.includes(subject))) return true;
    }
  }
  return false;
}

describe("SPF (row 8)", () => {
  it("delivers a message whose sender's SPF passes, with Authentication-Results on top", async () => {
    const reply = await sendInbound(
      "news@pass.test",
      "ann@strict.test",
      rawMessage("news@pass.test", "ann@strict.test", "spf pass"),
    );
    expect(reply).toMatch(/^250 /);
    const message = await delivered("ann@strict.test", "spf pass");
    expect(message).toMatch(/^Authentication-Results: mx\.agent\.test;/);
    // RFC 8601 §2.7.2: the checked identity only, the local-part only when the SPF record used it
    expect(message).toMatch(/\bspf=pass\b[^;]*smtp\.mailfrom=pass\.test/);
    expect(message).toMatch(/^Authentication-Results:[^]*\r\nReceived-SPF: pass/);
    expect(message).toMatch(/\r\nReceived: from client\.test/);
  });

  it("refuses an SPF fail under reject-fail (550 5.7.23) and stores nothing", async () => {
    const reply = await sendInbound(
      "ceo@fail.test",
      "ann@strict.test",
      rawMessage("ceo@fail.test", "ann@strict.test", "spf forged"),
    );
    expect(reply).toBe("550 5.7.23 SPF check failed");
    expect(await storedAnywhere("ceo@fail.test", "spf forged")).toBe(false);
  });

  it("delivers an SPF fail under tag, marked spf=fail", async () => {
    const reply = await sendInbound(
      "ceo@fail.test",
      "tom@tagged.test",
      rawMessage("ceo@fail.test", "tom@tagged.test", "spf tagged"),
    );
    expect(reply).toMatch(/^250 /);
    expect(await delivered("tom@tagged.test", "spf tagged")).toMatch(/\bspf=fail\b/);
  });

  it("defers (452) a recipient whose domain checks SPF differently from the others in the transaction", async () => {
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      await dialog.command("EHLO client.test");
      expect((await dialog.command("MAIL FROM:<x@pass.test>")).code).toBe(250);
      expect((await dialog.command("RCPT TO:<ann@strict.test>")).code).toBe(250);
      expect((await dialog.command("RCPT TO:<tom@tagged.test>")).text).toMatch(/^452 4\.5\.3 /);
    } finally {
      dialog.close();
    }
  });
});

describe("SPF records broken after the matching term (RFC 7208 conformance)", () => {
  it("refuses mail from a domain whose record has a bad CIDR: permerror, so DMARC p=reject applies", async () => {
    const reply = await sendInbound(
      "x@badcidr.test",
      "ann@strict.test",
      rawMessage("x@badcidr.test", "ann@strict.test", "bad cidr"),
    );
    expect(reply).toBe("550 5.7.1 Rejected by DMARC policy of badcidr.test");
    expect(await storedAnywhere("x@badcidr.test", "bad cidr")).toBe(false);
  });

  it("marks a record with two exp= modifiers spf=permerror, not pass", async () => {
    const reply = await sendInbound(
      "x@twoexp.test",
      "tom@tagged.test",
      rawMessage("x@twoexp.test", "tom@tagged.test", "two exp"),
    );
    expect(reply).toMatch(/^250 /);
    expect(await delivered("tom@tagged.test", "two exp")).toMatch(/\bspf=permerror\b/);
  });
});

describe("DMARC (row 9)", () => {
  it("refuses a message failing DMARC when the From domain says p=reject (550)", async () => {
    const reply = await sendInbound(
      "x@reject.test",
      "ann@strict.test",
      rawMessage("x@reject.test", "ann@strict.test", "dmarc reject"),
    );
    expect(reply).toBe("550 5.7.1 Rejected by DMARC policy of reject.test");
    expect(await storedAnywhere("x@reject.test", "dmarc reject")).toBe(false);
  });

  it("delivers a message failing DMARC with p=quarantine to the Junk folder", async () => {
    const reply = await sendInbound(
      "x@quarantine.test",
      "ann@strict.test",
      rawMessage("x@quarantine.test", "ann@strict.test", "dmarc quarantine"),
    );
    expect(reply).toMatch(/^250 /);
    expect(await delivered("ann@strict.test", "dmarc quarantine", JUNK_FOLDER)).toMatch(/\bdmarc=fail\b/);
    expect((await folderMessages("ann@strict.test")).some((m) => m.includes("dmarc quarantine"))).toBe(false);
  });
});

describe("DKIM verification (row 10)", () => {
  it("verifies a signed message (dkim=pass), which also passes DMARC p=reject", async () => {
    const raw = rawMessage("news@signed.test", "ann@strict.test", "dkim signed");
    const signed = await dkimSign(raw, {
      signatureData: [
        {
          signingDomain: "signed.test",
          selector: "sel1",
          privateKey: senderKey.privateKey.export({ type: "pkcs8", format: "pem" }),
        },
      ],
    } as unknown as DKIMSignOptions);
    const reply = await sendInbound("news@signed.test", "ann@strict.test", signed.signatures + raw);
    expect(reply).toMatch(/^250 /);
    const message = await delivered("ann@strict.test", "dkim signed");
    expect(message).toMatch(/\bdkim=pass header\.d=signed\.test header\.i=@signed\.test header\.s=sel1\b/);
    expect(message).toMatch(/\bdmarc=pass\b/);
  });
});

// The agent's DNS limits (dnsTimeoutMs per lookup here, the message's DNS deadline in
// ../auth/message-authentication.ts) end each check in its own temperror, and the policy decides.
describe("a DNS server that does not answer", () => {
  it("tempfails with the SPF rule's 451 under reject-fail instead of accepting unchecked mail", async () => {
    dns.silent = true;
    try {
      // a domain not looked up before: the agent's DNS cache has nothing to answer from
      const reply = await sendInbound(
        "news@unreachable.test",
        "ann@strict.test",
        rawMessage("news@unreachable.test", "ann@strict.test", "dns down"),
      );
      expect(reply).toBe("451 4.4.3 SPF check failed on a DNS error, try again later");
    } finally {
      dns.silent = false;
    }
    expect(await storedAnywhere("news@unreachable.test", "dns down")).toBe(false);
  });

  it("delivers under tag, marked spf=temperror and dmarc=temperror", async () => {
    dns.silent = true;
    let reply: string;
    try {
      reply = await sendInbound(
        "news@unreachable-tagged.test",
        "tom@tagged.test",
        rawMessage("news@unreachable-tagged.test", "tom@tagged.test", "dns down tagged"),
      );
    } finally {
      dns.silent = false;
    }
    expect(reply).toMatch(/^250 /);
    const message = await delivered("tom@tagged.test", "dns down tagged");
    expect(message).toMatch(/^Authentication-Results: mx\.agent\.test;[^]*\bspf=temperror\b/);
    expect(message).toMatch(/\bdmarc=temperror\b/);
  });

  it("refuses an SPF fail whose exp= explanation never arrives (550), as any other fail", async () => {
    dns.unanswered.add("why.explained.test");
    try {
      const reply = await sendInbound(
        "ceo@explained.test",
        "ann@strict.test",
        rawMessage("ceo@explained.test", "ann@strict.test", "explained fail"),
      );
      expect(reply).toBe("550 5.7.23 SPF check failed");
    } finally {
      dns.unanswered.delete("why.explained.test");
    }
    expect(await storedAnywhere("ceo@explained.test", "explained fail")).toBe(false);
  });
});

describe("DKIM signing (row 11)", () => {
  it("signs an authenticated user's mail to a remote recipient with the key the posture reports", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submission,
      secure: false,
      requireTLS: true,
      auth: { user: "alice@example.test", pass: ALICE_PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({
      from: "alice@example.test",
      to: "partner@remote.test",
      subject: "Signed on the way out",
      text: "Please verify me.",
    });
    transport.close();
    const [received] = await waitFor(() => {
      const messages = mx.messagesFor("partner@remote.test");
      return messages.length > 0 && messages;
    });
    expect(received!.body).toMatch(
      /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;/m,
    );

    const key = (await agent.posture()).dkim?.find((entry) => entry.domain === "example.test");
    expect(key?.selector).toMatch(/^mw\d{6}-[0-9a-f]{6}$/);
    dns.txt(`${key!.selector}._domainkey.example.test`, `v=DKIM1; k=rsa; p=${key!.publicKey}`);
    const resolver = createDnsResolver({ servers: [dns.address] });
    const verified = await dkimVerify(Buffer.from(received!.body), {
      resolver: (name, type) => resolver.resolve(name, type as "TXT") as Promise<string[][]>,
    });
    expect(
      verified.results.map((result) => [result.signingDomain, result.selector, result.status.result]),
    ).toEqual([["example.test", key!.selector, "pass"]]);
  });

  it("records the SPF verdict with the queued message (pass for a user's own domain)", async () => {
    // stuck.test's DNS never answers: the entry stays queued while the worker waits for its MX.
    dns.unanswered.add("stuck.test");
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submissionTls,
      secure: true,
      auth: { user: "alice@example.test", pass: ALICE_PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({
      from: "alice@example.test",
      to: "someone@stuck.test",
      subject: "Stays queued",
      text: "...",
    });
    transport.close();
    const id = /queued as (\S+)/.exec(info.response)![1]!;
    const queued = () => agent.delivery.list().entries.find((entry) => entry.id === id);
    expect(queued()).toMatchObject({ mailFrom: "alice@example.test", spf: "pass" });
    // Let the first attempt end (deferred on the DNS timeout) so nothing is in flight at shutdown.
    await waitFor(() => (queued()?.recipients[0]?.attempts ?? 1) >= 1);
  });
});
