// Row 21 as an attacker and an admin notice it: real clients (swaks, raw sockets, a POP3 socket) bound
// to their own loopback addresses against the real listeners. Thresholds are set low in the pushed policy
// so each rule trips within a few commands; nothing here waits for a window to pass.
import net from "node:net";
import tls from "node:tls";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultPolicy, type Policy } from "@mailwarden/policy";
import { startAgent, type RunningAgent } from "../agent";
import { emptyTestZone } from "../test-support/dns-zone";
import { agentConfig, hashPassword, loopbackSettings, tempDir, waitFor } from "../test-support/fixtures";
import { deliveredMessage, inboxMessages } from "../test-support/mailbox";
import { swaks } from "../test-support/swaks";
import { listQueue } from "../hub/queue-commands";
import { RawSession } from "../smtp/hostile/raw-session";

const PASSWORD = "Correct-horse-battery-1";

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;
let dnsAddress: string;
let revision = 1;
let hash: string;
const logLines: Record<string, unknown>[] = [];

const lowThresholds: Partial<Policy> = {
  abuseDenialOfService: { enabled: true, connections: 5, minutes: 1, blockMinutes: 60 },
  abuseHarvesting: { enabled: true, unknownRecipients: 3, minutes: 10, blockMinutes: 60 },
  abuseBruteForce: { enabled: true, failures: 3, minutes: 10, blockMinutes: 60 },
  abuseInternalSpammer: { enabled: true, messages: 2, minutes: 10 },
  abuseLoginGrace: { trustMinutes: 60, delayMinutes: 5 },
  ipWhitelist: [{ network: "127.0.0.42", reason: "office NAT", expiresAt: null, skips: ["dnsbl"] }],
};

async function start(): Promise<RunningAgent> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  return startAgent({
    config: loopbackSettings(state.dir, { dnsServers: [dnsAddress], smtp: { greetingDelayMs: 0 } }),
    logger: pino({ level: "info" }, sink),
    connectToHub: false,
  });
}

beforeAll(async () => {
  state = await tempDir();
  dnsAddress = (await emptyTestZone()).address;
  hash = await hashPassword(PASSWORD);
  agent = await start();
  revision++;
  const config = agentConfig(
    [{ name: "example.test", mailboxes: { alice: hash, bob: hash, carol: hash } }],
    lowThresholds,
  );
  expect(await agent.applyConfig(revision, config)).toEqual({ ok: true, revision });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

beforeEach(() => {
  logLines.length = 0;
});

/** swaks over STARTTLS on 587 from `from`, logged in as `user` (alice by default) with `password`. */
function submitFrom(from: string, password: string, extra: string[] = [], user = "alice@example.test") {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.submission), "--tls"],
    ...["--local-interface", from],
    ...["--auth", "PLAIN", "--auth-user", user, "--auth-password", password],
    ...["--from", user, "--to", "bob@example.test", ...extra],
  ]);
}

/** The first reply a client at `from` gets on `port`, and whether the server then hung up. */
async function greetingFor(from: string, port = agent.ports.submission) {
  const session = await RawSession.connect(port, { localAddress: from });
  const greeting = session.replies[0]!.text;
  if (greeting.startsWith("220")) {
    session.destroy();
    return { greeting, closed: false };
  }
  await session.waitForClose();
  return { greeting, closed: true };
}

/** The first line a POP3 client at `from` reads on port 110. */
function pop3Greeting(from: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port: agent.ports.pop3, host: "127.0.0.1", localAddress: from });
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.includes("\r\n")) socket.destroy();
    });
    socket.on("close", () => resolve(received.split("\r\n")[0]!));
    socket.on("error", () => undefined);
  });
}

function blockOf(subject: string) {
  return agent.abuse.list().find((block) => block.subject === subject);
}

describe("brute force", () => {
  it("blocks an address after repeated bad AUTH: 421 on the last try, then 554 at connect on SMTP and POP3", async () => {
    const from = "127.0.0.41";
    expect((await submitFrom(from, "wrong-1")).exitCode).toBe(28);
    expect((await submitFrom(from, "wrong-2")).exitCode).toBe(28);
    const tripping = await submitFrom(from, "wrong-3");
    expect(tripping.output).toMatch(
      /421 4\.7\.1 Your address is blocked until .* \(too many failed logins\)/,
    );

    const { greeting, closed } = await greetingFor(from);
    expect(greeting).toMatch(/^554 5\.7\.1 Your address is blocked until .* \(too many failed logins\)/);
    expect(closed).toBe(true);
    // Even the right password does not get in now.
    expect((await submitFrom(from, PASSWORD)).exitCode).not.toBe(0);
    expect(await pop3Greeting(from)).toMatch(/^-ERR \[SYS\/PERM\] Your address is blocked/);
    expect(blockOf(from)).toMatchObject({ kind: "ip", rule: "ids.brute-force", action: "block" });
    expect(
      logLines.some((line) => line.rule === "ids.brute-force" && line.code === 554 && line.client === from),
    ).toBe(true);
    // Another address is not affected.
    expect((await greetingFor("127.0.0.49")).greeting).toMatch(/^220/);
  });

  it("never blocks a whitelisted address, whatever the entry skips", async () => {
    const from = "127.0.0.42";
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await submitFrom(from, `wrong-${attempt}`);
      expect(result.exitCode).toBe(28);
      expect(result.output).toContain("535 5.7.8");
    }
    expect((await greetingFor(from)).greeting).toMatch(/^220/);
    expect(blockOf(from)).toBeUndefined();
  });

  it("delays an address that logged in successfully before blocking it", async () => {
    const from = "127.0.0.43";
    expect((await submitFrom(from, PASSWORD, ["--body", "grace login"])).exitCode).toBe(0);
    await submitFrom(from, "wrong-1");
    await submitFrom(from, "wrong-2");
    const tripping = await submitFrom(from, "wrong-3");
    expect(tripping.output).toMatch(/421 4\.7\.1 Too many failed logins from your address; try again after/);
    const delayed = await greetingFor(from);
    expect(delayed.greeting).toMatch(
      /^421 4\.7\.1 Too many failed logins from your address; try again after/,
    );
    expect(blockOf(from)).toMatchObject({ action: "delay", rule: "ids.brute-force" });

    // Once the delay is over (lifted here rather than waited for), the next run of failures blocks.
    expect(agent.abuse.lift(blockOf(from)!.id)).toBe(true);
    expect((await greetingFor(from)).greeting).toMatch(/^220/);
    await submitFrom(from, "wrong-4");
    await submitFrom(from, "wrong-5");
    await submitFrom(from, "wrong-6");
    expect((await greetingFor(from)).greeting).toMatch(/^554 5\.7\.1 Your address is blocked/);
    expect(blockOf(from)).toMatchObject({ action: "block" });
  });

  it("counts failed POP3 logins too", async () => {
    const from = "127.0.0.44";
    const replies = await new Promise<string[]>((resolve) => {
      const raw = net.connect({ port: agent.ports.pop3s, host: "127.0.0.1", localAddress: from });
      const socket = tls.connect({ socket: raw, rejectUnauthorized: false });
      const lines: string[] = [];
      let buffer = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        let index: number;
        while ((index = buffer.indexOf("\r\n")) >= 0) {
          lines.push(buffer.slice(0, index));
          buffer = buffer.slice(index + 2);
          // After the greeting and after each refused password: one more guess.
          if (lines.length === 1 || lines.at(-1)!.startsWith("-ERR [AUTH]")) {
            socket.write("USER alice@example.test\r\nPASS wrong\r\n");
          }
        }
      });
      socket.on("close", () => resolve(lines));
      socket.on("error", () => undefined);
    });
    expect(replies.filter((line) => line.startsWith("-ERR [AUTH]"))).toHaveLength(2);
    expect(replies.at(-1)).toMatch(
      /^-ERR \[SYS\/TEMP\] Your address is blocked until .* \(too many failed logins\)/,
    );
    expect(blockOf(from)).toMatchObject({ rule: "ids.brute-force", action: "block" });
    expect((await greetingFor(from)).greeting).toMatch(/^554 5\.7\.1/);
  });
});

describe("harvesting", () => {
  it("blocks an address that tries unknown recipients: 550s, then 421, then 554 at connect", async () => {
    const from = "127.0.0.45";
    const session = await RawSession.connect(agent.ports.inbound, { localAddress: from });
    expect((await session.command("EHLO harvester.test")).code).toBe(250);
    expect((await session.command("MAIL FROM:<spam@remote.test>")).code).toBe(250);
    expect((await session.command("RCPT TO:<bob@example.test>")).code).toBe(250);
    expect((await session.command("RCPT TO:<guess1@example.test>")).code).toBe(550);
    expect((await session.command("RCPT TO:<guess2@example.test>")).code).toBe(550);
    const tripping = await session.command("RCPT TO:<guess3@example.test>");
    expect(tripping.text).toMatch(
      /^421 4\.7\.1 Your address is blocked until .* \(too many unknown recipients\)/,
    );
    await session.waitForClose();

    expect((await greetingFor(from, agent.ports.inbound)).greeting).toMatch(/^554 5\.7\.1/);
    expect(blockOf(from)).toMatchObject({
      rule: "ids.harvesting",
      reason: "3 unknown recipients in one session",
    });
  });
});

describe("harvesting across sessions", () => {
  it("counts an address's unknown recipients over the window, whatever the sessions", async () => {
    const from = "127.0.0.50";
    const first = await RawSession.connect(agent.ports.inbound, { localAddress: from });
    await first.command("EHLO harvester.test");
    await first.command("MAIL FROM:<spam@remote.test>");
    expect((await first.command("RCPT TO:<guess1@example.test>")).code).toBe(550);
    expect((await first.command("RCPT TO:<guess2@example.test>")).code).toBe(550);
    await first.command("QUIT");
    await first.waitForClose();

    const second = await RawSession.connect(agent.ports.inbound, { localAddress: from });
    await second.command("EHLO harvester.test");
    await second.command("MAIL FROM:<spam@remote.test>");
    expect((await second.command("RCPT TO:<guess3@example.test>")).code).toBe(421);
    await second.waitForClose();
    expect(blockOf(from)).toMatchObject({
      rule: "ids.harvesting",
      reason: "3 unknown recipients within 10 min",
    });
  });
});

describe("denial of service", () => {
  it("blocks an address that opens too many connections, on every listener", async () => {
    const from = "127.0.0.46";
    for (let connection = 0; connection < 4; connection++) {
      expect((await greetingFor(from)).greeting).toMatch(/^220/);
    }
    const fifth = await greetingFor(from);
    expect(fifth.greeting).toMatch(/^554 5\.7\.1 Your address is blocked until .* \(too many connections\)/);
    expect(fifth.closed).toBe(true);
    expect((await greetingFor(from, agent.ports.inbound)).greeting).toMatch(/^554/);
    expect(await pop3Greeting(from)).toMatch(/^-ERR \[SYS\/PERM\] Your address is blocked/);
    expect(blockOf(from)).toMatchObject({ rule: "ids.dos", reason: "5 connections within 1 min" });
  });

  it("lets the host itself connect as often as it likes", async () => {
    for (let connection = 0; connection < 7; connection++) {
      expect((await greetingFor("127.0.0.1")).greeting).toMatch(/^220/);
    }
  });
});

describe("internal spammer", () => {
  it("holds the user's queued mail and suspends sending until an admin lifts it", async () => {
    const from = "127.0.0.47";
    const carol = (body: string, address = from) =>
      submitFrom(address, PASSWORD, ["--body", body], "carol@example.test");
    expect((await carol("spam run 1")).exitCode).toBe(0);
    await deliveredMessage(state.dir, "example.test", "bob", "spam run 1");
    // The second message trips the rule: it is accepted, but held in the queue.
    expect((await carol("spam run 2")).exitCode).toBe(0);
    const suspension = blockOf("carol@example.test");
    expect(suspension).toMatchObject({
      kind: "user",
      rule: "ids.internal-spammer",
      action: "suspend",
      until: null,
    });

    // From anywhere: the suspension is the user's, not an address's.
    const refused = await carol("spam run 3", "127.0.0.48");
    expect(refused.exitCode).toBe(23);
    expect(refused.output).toMatch(/550 5\.7\.1 Sending suspended for carol@example\.test/);
    expect(agent.delivery.list().entries).toHaveLength(1);
    // The dashboard's queue listing says why it waits.
    expect(listQueue(agent.delivery).entries[0]).toMatchObject({ held: true });
    expect(
      (await inboxMessages(state.dir, "example.test", "bob")).some((m) => m.includes("spam run 2")),
    ).toBe(false);

    expect(agent.abuse.lift(suspension!.id)).toBe(true);
    await deliveredMessage(state.dir, "example.test", "bob", "spam run 2");
    await waitFor(() => agent.delivery.list().entries.length === 0, 5000, "an empty queue");
    expect((await carol("after the lift", "127.0.0.48")).exitCode).toBe(0);
    expect(agent.abuse.lift(suspension!.id)).toBe(false);
  });
});

describe("after a restart", () => {
  it("keeps the blocks in force", async () => {
    const before = blockOf("127.0.0.41");
    expect(before).toBeDefined();
    await agent.stop();
    agent = await start();
    expect(blockOf("127.0.0.41")).toEqual(before);
    expect((await greetingFor("127.0.0.41")).greeting).toMatch(/^554 5\.7\.1 Your address is blocked/);
  });
});

it("ships with every rule on", () => {
  expect(defaultPolicy.abuseBruteForce.enabled && defaultPolicy.abuseInternalSpammer.enabled).toBe(true);
});
