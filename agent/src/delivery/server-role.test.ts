// Server roles (policy row 25) as a sending MTA and the next hop would see them: a real agent, real
// listeners, and the primary / relay host played by a real smtp-server on loopback. A backup MX takes
// mail for its backup domain from anyone and forwards it to the primary — retried while the primary is
// down, delivered once it is back — and stays closed to every other remote domain; a smarthost gets all
// remote mail without the agent looking up a single MX; an incoming gateway forwards local mail.
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Policy } from "@mailwarden/policy";
import type { RunningAgent } from "../agent";
import { maildirPath } from "../maildir/maildir";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeMx } from "../test-support/fake-mx";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { SmtpDialog } from "../test-support/smtp-dialog";
import { readdir } from "node:fs/promises";
import { freePort } from "../test-support/ports";

const ALICE_PASSWORD = "alice-Correct-horse-1";
const noInboundChecks = {
  spfCheck: "off",
  dmarcCompliance: "off",
  dkimVerify: false,
  dkimSigning: false,
} as const;

let state: Awaited<ReturnType<typeof tempDir>>;
let dns: TestDnsServer;
let aliceHash: string;
const running: { stop(): Promise<void> }[] = [];
const servers: FakeMx[] = [];

beforeAll(async () => {
  state = await tempDir("mw-server-role-");
  dns = await TestDnsServer.start();
  aliceHash = await hashPassword(ALICE_PASSWORD);
});

afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop();
  for (const server of servers.splice(0)) await server.close();
});

afterAll(async () => {
  await dns?.close();
  await state?.remove();
});

async function startNextHop(name: string, port = 0): Promise<FakeMx> {
  const server = await FakeMx.start(path.join(state.dir, name), port);
  servers.push(server);
  return server;
}

async function startAgent(name: string, serverRole: Policy["serverRole"]): Promise<RunningAgent> {
  const agent = await startTestAgent(path.join(state.dir, name), {
    dnsServers: [dns.address],
    delivery: {
      remotePort: 9, // discard: an MX lookup that slipped through would never reach a next hop here
      retryScheduleOverrideMinutes: Array<number>(10).fill(0.005),
      queueRunIntervalMs: 100,
      connectTimeoutMs: 2000,
    },
  });
  running.push(agent);
  const config = agentConfig(
    [{ name: "example.test", policy: { ...noInboundChecks }, mailboxes: { alice: aliceHash } }],
    { ...noInboundChecks, serverRole },
  );
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
  return agent;
}

/** One unauthenticated transaction on port 25; returns the RCPT and final replies. */
async function sendInbound(agent: RunningAgent, to: string, subject: string) {
  const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
  try {
    await dialog.command("EHLO sender.example");
    await dialog.command("MAIL FROM:<someone@sender.example>");
    const rcpt = await dialog.command(`RCPT TO:<${to}>`);
    if (rcpt.code !== 250) return { rcpt, data: null };
    await dialog.command("DATA");
    const data = await dialog.command(
      `From: someone@sender.example\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nHello.\r\n.`,
    );
    return { rcpt, data };
  } finally {
    dialog.close();
  }
}

describe("backup MX", () => {
  it("accepts its backup domain from anyone and forwards it to the primary, never to Maildir", async () => {
    const primary = await startNextHop("primary");
    const agent = await startAgent("backup", {
      role: "backup-mx",
      relayHost: `127.0.0.1:${primary.port}`,
      backupDomains: ["backed-up.test"],
    });
    const { rcpt, data } = await sendInbound(agent, "bob@backed-up.test", "Held for the primary");
    expect(rcpt.code).toBe(250);
    expect(data?.text).toMatch(/^250 2\.0\.0 Ok: queued as /);
    const [received] = await waitFor(
      () => primary.messagesFor("bob@backed-up.test").length > 0 && primary.received,
    );
    expect(received!.mailFrom).toBe("someone@sender.example");
    expect(received!.body).toContain("Subject: Held for the primary");
    await waitFor(() => agent.delivery.list().size === 0, 5000, "the queue to empty");
    // no MX lookup for the backup domain: the primary is configured, not looked up
    expect(dns.queries.some((query) => query.name === "backed-up.test")).toBe(false);
  });

  it("refuses other remote domains (554 relay denied) and local domains it does not back up", async () => {
    const primary = await startNextHop("primary-2");
    const agent = await startAgent("backup-2", {
      role: "backup-mx",
      relayHost: `127.0.0.1:${primary.port}`,
      backupDomains: ["backed-up.test"],
    });
    const remote = await sendInbound(agent, "someone@elsewhere.test", "relay attempt");
    expect(remote.rcpt.code).toBe(554);
    expect(remote.rcpt.text).toMatch(/5\.7\.1 Relay access denied/);
    const local = await sendInbound(agent, "alice@example.test", "not served here");
    expect(local.rcpt.code).toBe(550);
    expect(local.rcpt.text).toMatch(/backup MX/);
  });

  it("keeps retrying while the primary is down and delivers when it comes back", async () => {
    const port = await freePort();
    const agent = await startAgent("backup-3", {
      role: "backup-mx",
      relayHost: `127.0.0.1:${port}`,
      backupDomains: ["backed-up.test"],
    });
    const { data } = await sendInbound(agent, "carol@backed-up.test", "Primary was down");
    expect(data?.code).toBe(250);
    const deferred = await waitFor(() =>
      agent.delivery.list().entries[0]?.recipients.find((recipient) => recipient.attempts >= 1),
    );
    expect(deferred.state).toBe("pending");
    expect(deferred.lastError).toMatch(/^451 4\.4\.1 127\.0\.0\.1/);
    const primary = await startNextHop("primary-3", port);
    await waitFor(
      () => primary.messagesFor("carol@backed-up.test").length > 0,
      8000,
      "the primary to get it",
    );
    await waitFor(() => agent.delivery.list().size === 0, 5000, "the queue to empty");
    expect(primary.messagesFor("carol@backed-up.test")).toHaveLength(1);
  });
});

describe("primary with a smarthost", () => {
  it("hands remote mail to the relay host without any MX lookup", async () => {
    const relay = await startNextHop("smarthost");
    const agent = await startAgent("smarthost-agent", {
      role: "primary-with-smarthost",
      relayHost: `127.0.0.1:${relay.port}`,
      backupDomains: [],
    });
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submission,
      requireTLS: true,
      auth: { user: "alice@example.test", pass: ALICE_PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({
      from: "alice@example.test",
      to: "partner@far-away.test",
      subject: "Via the smarthost",
      text: "hello",
    });
    transport.close();
    await waitFor(() => relay.messagesFor("partner@far-away.test").length > 0, 5000, "the relay host");
    expect(dns.queries.some((query) => query.name === "far-away.test")).toBe(false);
  });
});

describe("incoming gateway", () => {
  it("forwards accepted local-domain mail to the forward host instead of Maildir", async () => {
    const inside = await startNextHop("inside");
    const agent = await startAgent("gateway", {
      role: "incoming-gateway",
      relayHost: `127.0.0.1:${inside.port}`,
      backupDomains: [],
    });
    const unknown = await sendInbound(agent, "nobody@example.test", "unknown");
    expect(unknown.rcpt.code).toBe(550);
    const { data } = await sendInbound(agent, "alice@example.test", "Through the gateway");
    expect(data?.code).toBe(250);
    await waitFor(() => inside.messagesFor("alice@example.test").length > 0, 5000, "the inside server");
    const inbox = maildirPath(agent.settings.stateDir, { domain: "example.test", localPart: "alice" });
    const delivered = await readdir(path.join(inbox, "new")).catch(() => []);
    expect(delivered).toEqual([]);
  });
});
