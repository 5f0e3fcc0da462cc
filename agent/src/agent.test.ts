// Config lifecycle as an operator sees it: a bad push changes nothing, a good one survives a restart,
// a damaged state file never loosens the server, one written by an older agent is still served, and a
// session already in flight is not disturbed; the server's listeners setting opens and closes ports; and
// one state directory serves one agent at a time.
import net from "node:net";
import tls from "node:tls";
import { readFile, stat, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningAgent } from "./agent";
import { appliedConfigPath } from "./state/applied-config";
import { agentConfig, hashPassword, startTestAgent, tempDir } from "./test-support/fixtures";
import { SmtpDialog } from "./test-support/smtp-dialog";
import { swaks } from "./test-support/swaks";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freshAgent(): Promise<{ agent: RunningAgent; stateDir: string }> {
  const state = await tempDir();
  const agent = await startTestAgent(state.dir);
  cleanups.push(state.remove, () => agent.stop());
  return { agent, stateDir: state.dir };
}

async function rcptReply(port: number, recipient: string): Promise<number> {
  const { dialog } = await SmtpDialog.connect(port);
  try {
    await dialog.command("EHLO client.test");
    await dialog.command("MAIL FROM:<friend@remote.test>");
    return (await dialog.command(`RCPT TO:<${recipient}>`)).code;
  } finally {
    dialog.close();
  }
}

describe("applying configs", () => {
  it("starts locked down with no config: no local domains, AUTH hidden before TLS, TLS 1.2+", async () => {
    const { agent } = await freshAgent();
    expect(agent.appliedRevision()).toBeNull();
    expect(await rcptReply(agent.ports.inbound, "anyone@example.test")).toBe(554);
    const posture = await agent.posture();
    expect(posture.appliedRevision).toBeNull();
    expect(posture.tlsVersions).toEqual(["TLSv1.2", "TLSv1.3"]);
    expect(posture.listeners).toEqual([
      { name: "inbound", port: agent.ports.inbound, tls: "starttls", authAdvertisedBeforeTls: false },
      { name: "submission", port: agent.ports.submission, tls: "starttls", authAdvertisedBeforeTls: false },
      {
        name: "submissionTls",
        port: agent.ports.submissionTls,
        tls: "implicit",
        authAdvertisedBeforeTls: false,
      },
      { name: "pop3", port: agent.ports.pop3, tls: "starttls", authAdvertisedBeforeTls: false },
      { name: "pop3s", port: agent.ports.pop3s, tls: "implicit", authAdvertisedBeforeTls: false },
    ]);
    expect(posture.queueSize).toBe(0);
  });

  it("rejects an invalid config with reasons and keeps serving under the previous one", async () => {
    const { agent, stateDir } = await freshAgent();
    const good = agentConfig([
      { name: "example.test", mailboxes: { bob: await hashPassword("bob-Password-123") } },
    ]);
    expect(await agent.applyConfig(1, good)).toEqual({ ok: true, revision: 1 });

    const badSchema = { ...good, server: { ...good.server, relay: "everyone" } };
    const badSchemaResult = await agent.applyConfig(2, badSchema);
    expect(badSchemaResult).toMatchObject({ ok: false, revision: 2 });
    expect(!badSchemaResult.ok && badSchemaResult.errors[0]).toMatch(/^server\.relay: /);

    const pathEscape = agentConfig([{ name: "../../etc", mailboxes: { bob: "x" } }]);
    const escapeResult = await agent.applyConfig(3, pathEscape);
    expect(!escapeResult.ok && escapeResult.errors).toEqual([
      'domains.0.name: "../../etc" is not a domain name',
    ]);

    expect(agent.appliedRevision()).toBe(1);
    expect(await rcptReply(agent.ports.inbound, "bob@example.test")).toBe(250);
    expect(await rcptReply(agent.ports.inbound, "nobody@example.test")).toBe(550);
    const result = await swaks([
      "--server",
      "127.0.0.1",
      "--port",
      String(agent.ports.inbound),
      "--from",
      "friend@remote.test",
      "--to",
      "bob@example.test",
    ]);
    expect(result.exitCode).toBe(0);
    expect((await stat(appliedConfigPath(stateDir))).mode & 0o777).toBe(0o600);
  });

  it("serves the last applied config after a restart", async () => {
    const state = await tempDir();
    cleanups.push(state.remove);
    const first = await startTestAgent(state.dir);
    await first.applyConfig(
      41,
      agentConfig([{ name: "example.test", mailboxes: { bob: await hashPassword("bob-Password-123") } }], {
        authOnlyOverTls: false,
      }),
    );
    await first.stop();

    const second = await startTestAgent(state.dir);
    cleanups.push(() => second.stop());
    expect(second.appliedRevision()).toBe(41);
    expect(await rcptReply(second.ports.inbound, "bob@example.test")).toBe(250);
    expect((await second.posture()).listeners[0]!.authAdvertisedBeforeTls).toBe(true);
  });

  it("serves a config stored by an older agent, its settings added since at their secure defaults", async () => {
    const state = await tempDir();
    cleanups.push(state.remove);
    const first = await startTestAgent(state.dir);
    await first.applyConfig(
      7,
      agentConfig([{ name: "example.test", mailboxes: { bob: await hashPassword("bob-Password-123") } }]),
    );
    await first.stop();
    // as an agent from before rows 21 and 22 wrote it: those settings are missing
    const stored = JSON.parse(await readFile(appliedConfigPath(state.dir), "utf8")) as {
      config: { server: Record<string, unknown>; domains: { policy: Record<string, unknown> }[] };
    };
    delete stored.config.server.abuseBruteForce;
    delete stored.config.domains[0]!.policy.mailingListPosting;
    await writeFile(appliedConfigPath(state.dir), JSON.stringify(stored));

    const second = await startTestAgent(state.dir);
    cleanups.push(() => second.stop());
    expect(second.appliedRevision()).toBe(7);
    expect(await rcptReply(second.ports.inbound, "bob@example.test")).toBe(250);
    expect(await rcptReply(second.ports.inbound, "someone@elsewhere.test")).toBe(554);
  });

  it("starts with a settings file of an older agent that still sets smtp.maxClients (now policy)", async () => {
    const state = await tempDir();
    cleanups.push(state.remove);
    const agent = await startTestAgent(state.dir, { smtp: { maxClients: 1, maxClientsPerAddress: 1 } });
    cleanups.push(() => agent.stop());
    await agent.applyConfig(1, agentConfig([{ name: "example.test", mailboxes: { bob: "x" } }]));
    // it serves mail (the old keys are ignored: connection limits come from the policy now)
    expect(await rcptReply(agent.ports.inbound, "bob@example.test")).toBe(250);
  });

  it("falls back to locked-down defaults when the stored config is damaged", async () => {
    const state = await tempDir();
    cleanups.push(state.remove);
    const first = await startTestAgent(state.dir);
    await first.applyConfig(
      5,
      agentConfig([{ name: "example.test", mailboxes: { bob: "x" } }], { relay: "local-networks" }),
    );
    await first.stop();
    await writeFile(appliedConfigPath(state.dir), '{"revision": 5, "config": {"server": "oops"}}');

    const second = await startTestAgent(state.dir);
    cleanups.push(() => second.stop());
    expect(second.appliedRevision()).toBeNull();
    expect(await rcptReply(second.ports.inbound, "someone@elsewhere.test")).toBe(554);
  });

  it("a transaction in flight finishes under the config it started with", async () => {
    const { agent } = await freshAgent();
    const hash = await hashPassword("bob-Password-123");
    await agent.applyConfig(1, agentConfig([{ name: "example.test", mailboxes: { bob: hash } }]));
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      await dialog.command("EHLO client.test");
      expect((await dialog.command("MAIL FROM:<friend@remote.test>")).code).toBe(250);
      await agent.applyConfig(2, agentConfig([{ name: "other.test", mailboxes: { bob: hash } }]));
      expect((await dialog.command("RCPT TO:<bob@example.test>")).code).toBe(250);
      expect((await dialog.command("DATA")).code).toBe(354);
      expect((await dialog.command("Subject: in flight\r\n\r\nstill here\r\n.")).code).toBe(250);
    } finally {
      dialog.close();
    }
    expect(await rcptReply(agent.ports.inbound, "bob@example.test")).toBe(554);
  });
});

/**
 * Whether something accepts connections on the port (a closed listener refuses them). On an implicit-TLS
 * port the probe completes the handshake and says goodbye: a connection dropped mid-handshake right
 * before the agent stops can crash Node 20 as smtp-server tears the pending TLS socket down.
 */
function isListening(port: number, isImplicitTls = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = isImplicitTls
      ? tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false })
      : net.connect({ port, host: "127.0.0.1" });
    socket.once(isImplicitTls ? "secureConnect" : "connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const implicitTls = new Set(["submissionTls", "pop3s"]);

describe("listeners (a server setting in the console)", () => {
  it("closes a listener the config removes, keeps the others' sessions, and opens one it adds", async () => {
    const { agent } = await freshAgent();
    const hash = await hashPassword("bob-Password-123");
    const config = agentConfig([{ name: "example.test", mailboxes: { bob: hash } }]);
    await agent.applyConfig(1, config);
    const before = { ...agent.ports };
    for (const [name, port] of Object.entries(before)) {
      expect(await isListening(port, implicitTls.has(name))).toBe(true);
    }

    // A session on a listener that stays open, mid-transaction while the config changes.
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      await dialog.command("EHLO client.test");
      expect((await dialog.command("MAIL FROM:<friend@remote.test>")).code).toBe(250);
      expect(await agent.applyConfig(2, { ...config, listeners: ["inbound", "pop3s"] })).toEqual({
        ok: true,
        revision: 2,
      });
      expect(await isListening(before.submission)).toBe(false);
      expect(await isListening(before.submissionTls, true)).toBe(false);
      expect(await isListening(before.pop3)).toBe(false);
      expect(await isListening(before.pop3s, true)).toBe(true);
      expect((await dialog.command("RCPT TO:<bob@example.test>")).code).toBe(250);
      expect((await dialog.command("DATA")).code).toBe(354);
      expect((await dialog.command("Subject: kept\r\n\r\nstill here\r\n.")).code).toBe(250);
    } finally {
      dialog.close();
    }
    expect(agent.ports).toMatchObject({ submission: 0, submissionTls: 0, pop3: 0 });
    // The posture (what the console shows) names exactly the open listeners.
    expect((await agent.posture()).listeners.map((l) => [l.name, l.port])).toEqual([
      ["inbound", before.inbound],
      ["pop3s", before.pop3s],
    ]);

    // Added back: each opens on the settings file's port (0 here, so a fresh one) and accepts mail.
    await agent.applyConfig(3, { ...config, listeners: ["inbound", "submission", "pop3"] });
    expect(agent.ports.submission).toBeGreaterThan(0);
    expect(agent.ports.pop3).toBeGreaterThan(0);
    expect(await isListening(agent.ports.submission)).toBe(true);
    expect(await isListening(agent.ports.pop3)).toBe(true);
    expect(await isListening(before.pop3s, true)).toBe(false);
    expect(await rcptReply(agent.ports.inbound, "bob@example.test")).toBe(250);
    expect((await agent.posture()).listeners.map((l) => l.name)).toEqual(["inbound", "submission", "pop3"]);
  });

  it("opens only the configured listeners after a restart", async () => {
    const state = await tempDir();
    cleanups.push(state.remove);
    const first = await startTestAgent(state.dir);
    await first.applyConfig(3, { ...agentConfig([]), listeners: ["submissionTls"] });
    await first.stop();
    const second = await startTestAgent(state.dir);
    cleanups.push(() => second.stop());
    expect(second.ports).toEqual({
      inbound: 0,
      submission: 0,
      submissionTls: expect.any(Number),
      pop3: 0,
      pop3s: 0,
    });
    expect(await isListening(second.ports.submissionTls, true)).toBe(true);
    expect((await second.posture()).listeners.map((l) => l.name)).toEqual(["submissionTls"]);
  });
});

describe("one agent per state directory", () => {
  it("refuses a second agent on a state directory in use, and starts once the first has stopped", async () => {
    const { agent, stateDir } = await freshAgent();
    await expect(startTestAgent(stateDir)).rejects.toThrow(
      /another mailwarden agent is running with the state directory/,
    );
    // the first one is undisturbed
    expect(await rcptReply(agent.ports.inbound, "anyone@example.test")).toBe(554);
    await agent.stop();
    const next = await startTestAgent(stateDir);
    cleanups.push(() => next.stop());
    expect(await rcptReply(next.ports.inbound, "anyone@example.test")).toBe(554);
  });
});
