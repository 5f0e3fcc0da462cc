// Rows 17 and 19 as a sending MTA and an admin see them: real clients (swaks, a raw socket) bound to
// different loopback addresses connect to the real listeners; blocklist answers come from a DNS server
// on loopback through the agent's own resolver. Refused clients get 554 instead of the greeting and are
// disconnected; every refusal is logged with its rule id.
import { readdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Policy } from "@mailwarden/policy";
import { startAgent, type RunningAgent } from "../../agent";
import { TestDnsServer } from "../../test-support/dns-zone";
import { maildirPath } from "../../maildir/maildir";
import { agentConfig, hashPassword, loopbackSettings, tempDir, waitFor } from "../../test-support/fixtures";
import { swaks } from "../../test-support/swaks";
import { RawSession } from "../hostile/raw-session";
import { reversedName } from "./dnsbl";

const ZONE = "zen.blocklist.test";

let agent: RunningAgent;
let dns: TestDnsServer;
let state: Awaited<ReturnType<typeof tempDir>>;
let revision = 1;
let annHash: string;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  state = await tempDir();
  annHash = await hashPassword("ann-Correct-horse-7");
  dns = await TestDnsServer.start();
  // Row 16: 127.0.0.11 is mx.good.test both ways; 127.0.0.13's PTR names a host that is elsewhere;
  // 127.0.0.12 has no PTR at all.
  dns.ptr("11.0.0.127.in-addr.arpa", "mx.good.test");
  dns.a("mx.good.test", "127.0.0.11");
  dns.a("relay.good.test", "127.0.0.11");
  dns.ptr("13.0.0.127.in-addr.arpa", "spoof.good.test");
  dns.a("spoof.good.test", "127.0.0.99");
  // 127.0.0.5 and 127.0.0.4 are listed; 127.255.255.254 is how Spamhaus says "query refused".
  dns.a(`5.0.0.127.${ZONE}`, "127.0.0.2");
  dns.a(`4.0.0.127.${ZONE}`, "127.0.0.4");
  dns.a(`6.0.0.127.${ZONE}`, "127.255.255.254");
  dns.a(`5.0.0.127.other.blocklist.test`, "127.0.0.3");
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  agent = await startAgent({
    config: loopbackSettings(state.dir, { dnsServers: [dns.address] }),
    logger: pino({ level: "info" }, sink),
    connectToHub: false,
  });
});

afterAll(async () => {
  await agent?.stop();
  await dns?.close();
  await state?.remove();
});

beforeEach(() => {
  logLines.length = 0;
});

async function applyServerPolicy(server: Partial<Policy>): Promise<void> {
  revision++;
  expect(
    await agent.applyConfig(
      revision,
      agentConfig([{ name: "example.test", mailboxes: { ann: annHash } }], server),
    ),
  ).toEqual({
    ok: true,
    revision,
  });
}

/** A real MTA's view: swaks from `from`, to the inbound listener (or submission). */
async function sendFrom(from: string, port = agent.ports.inbound) {
  return swaks([
    "--server",
    "127.0.0.1",
    "--port",
    String(port),
    "--local-interface",
    from,
    "--from",
    "sender@remote.test",
    "--to",
    "nobody@example.test",
    "--quit-after",
    "EHLO",
  ]);
}

/** The greeting a client at `from` gets, and whether the server then hung up. */
async function greetingFor(from: string, port = agent.ports.inbound) {
  const session = await RawSession.connect(port, { localAddress: from });
  const greeting = session.replies[0]!.text;
  if (greeting.startsWith("220")) {
    session.destroy();
    return { greeting, closed: false };
  }
  await session.waitForClose();
  return { greeting, closed: true };
}

/** The first line a POP3 client at `from` reads on port 110 (or all it got before the server hung up). */
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

function decisions(rule: string): Record<string, unknown>[] {
  return logLines.filter((line) => line.rule === rule && line.msg === "rule decided");
}

describe("row 19: IP blacklist", () => {
  it("refuses a blacklisted address or network with 554 on every listener; others are greeted", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      ipBlacklist: [
        { network: "127.0.0.2", reason: "spam run 2026-11-20", expiresAt: null },
        { network: "127.0.1.0/24", reason: "botnet range", expiresAt: "2099-01-01T00:00:00Z" },
      ],
    });
    const refused = await greetingFor("127.0.0.2");
    expect(refused).toEqual({
      greeting: "554 5.7.1 Connections from your address are refused by this server (blacklist 127.0.0.2)",
      closed: true,
    });
    expect((await greetingFor("127.0.1.9", agent.ports.submission)).greeting).toMatch(/^554 5\.7\.1 /);
    expect((await greetingFor("127.0.0.3")).greeting).toMatch(/^220 /);

    const swaksRefused = await sendFrom("127.0.0.2");
    expect(swaksRefused.exitCode).not.toBe(0);
    expect(swaksRefused.output).toContain("<** 554 5.7.1 Connections from your address are refused");
    expect((await sendFrom("127.0.0.3")).exitCode).toBe(0);

    const logged = decisions("connect.ip-blacklist");
    expect(logged.length).toBeGreaterThanOrEqual(3);
    expect(logged[0]).toMatchObject({ phase: "connect", client: "127.0.0.2", outcome: "reject", code: 554 });
    // The admin's reason is for the log, never for the client.
    expect(logLines).toContainEqual(
      expect.objectContaining({ rule: "connect.ip-blacklist", reason: "spam run 2026-11-20" }),
    );
  });

  it("turns the address away from POP3 too (no password guessing from it)", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      ipBlacklist: [{ network: "127.0.0.2", reason: "password guessing", expiresAt: null }],
    });
    expect(await pop3Greeting("127.0.0.2")).toBe("-ERR [SYS/PERM] Connections from your address are refused");
    expect(await pop3Greeting("127.0.0.3")).toMatch(/^\+OK /);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        rule: "connect.ip-blacklist",
        listener: "pop3",
        reason: "password guessing",
      }),
    );
  });

  it("ignores an expired entry", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      ipBlacklist: [
        { network: "127.0.0.2", reason: "last week's incident", expiresAt: "2020-01-01T00:00:00Z" },
      ],
    });
    expect((await greetingFor("127.0.0.2")).greeting).toMatch(/^220 /);
    expect(decisions("connect.ip-blacklist")).toEqual([]);
  });

  it("a whitelist entry cannot skip the blacklist", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      ipBlacklist: [{ network: "127.0.0.2", reason: "spam run", expiresAt: null }],
      ipWhitelist: [
        {
          network: "127.0.0.0/8",
          reason: "loopback",
          expiresAt: null,
          skips: ["dnsbl", "rdns", "connection-limits"],
        },
      ],
    });
    expect((await greetingFor("127.0.0.2")).greeting).toMatch(/^554 /);
  });
});

describe("row 19 with row 1: a whitelist entry that skips relay", () => {
  /** RCPT to a remote domain from `from`, without logging in; swaks exits 24 when RCPT is refused. */
  function relayFrom(from: string) {
    return swaks([
      "--server",
      "127.0.0.1",
      "--port",
      String(agent.ports.inbound),
      "--local-interface",
      from,
      "--from",
      "app@billing.test",
      "--to",
      "someone@remote.test",
      "--quit-after",
      "RCPT",
    ]);
  }

  const whitelist = [
    { network: "127.0.0.14", reason: "billing server", expiresAt: null, skips: ["relay" as const] },
  ];

  it("relays under authenticated-or-whitelist, and only for that address", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      rdnsCheck: "off",
      relay: "authenticated-or-whitelist",
      ipWhitelist: whitelist,
    });
    expect((await relayFrom("127.0.0.14")).exitCode).toBe(0);
    const other = await relayFrom("127.0.0.15");
    expect(other.exitCode).toBe(24);
    expect(other.output).toContain("554 5.7.1 Relay access denied");
  });

  it("changes nothing while relay is nobody", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      rdnsCheck: "off",
      relay: "nobody",
      ipWhitelist: whitelist,
    });
    expect((await relayFrom("127.0.0.14")).exitCode).toBe(24);
  });
});

describe("row 17: DNS blocklists", () => {
  it("refuses a listed client with 554 naming the list; an unlisted one is greeted", async () => {
    await applyServerPolicy({ dnsBlocklistZones: [ZONE, "other.blocklist.test"] });
    expect(await greetingFor("127.0.0.5")).toEqual({
      greeting: `554 5.7.1 Service unavailable; client host [127.0.0.5] blocked using ${ZONE}`,
      closed: true,
    });
    const listed = await sendFrom("127.0.0.5");
    expect(listed.output).toContain(`blocked using ${ZONE}`);
    expect((await sendFrom("127.0.0.3")).exitCode).toBe(0);
    // Asked through the agent's resolver, i.e. the loopback DNS server, in every zone.
    expect(dns.queries).toContainEqual({ name: `3.0.0.127.${ZONE}`, type: "A" });
    expect(dns.queries).toContainEqual({ name: "3.0.0.127.other.blocklist.test", type: "A" });
    expect(decisions("connect.dnsbl")[0]).toMatchObject({ client: "127.0.0.5", code: 554 });
  });

  it("does not check the submission listeners (users on home connections are listed)", async () => {
    await applyServerPolicy({ dnsBlocklistZones: [ZONE] });
    expect((await greetingFor("127.0.0.5", agent.ports.submission)).greeting).toMatch(/^220 /);
  });

  it("a whitelist entry that skips dnsbl lets the listed client in; one for other checks does not", async () => {
    await applyServerPolicy({
      dnsBlocklistZones: [ZONE],
      ipWhitelist: [
        { network: "127.0.0.4", reason: "partner MX", expiresAt: null, skips: ["dnsbl"] },
        { network: "127.0.0.5", reason: "partner MX", expiresAt: null, skips: ["rdns"] },
      ],
    });
    expect((await greetingFor("127.0.0.4")).greeting).toMatch(/^220 /);
    expect((await greetingFor("127.0.0.5")).greeting).toMatch(/^554 /);
  });

  it("a refused query (127.255.255.x) is not a listing; it is logged", async () => {
    await applyServerPolicy({ dnsBlocklistZones: [ZONE] });
    expect((await greetingFor("127.0.0.6")).greeting).toMatch(/^220 /);
    expect(logLines).toContainEqual(
      expect.objectContaining({ rule: "connect.dnsbl", client: "127.0.0.6", zone: ZONE }),
    );
  });

  it("asks IPv4 octets and IPv6 nibbles in reverse (RFC 5782)", () => {
    expect(reversedName("192.0.2.5")).toBe("5.2.0.192");
    expect(reversedName("::ffff:192.0.2.5")).toBe("5.2.0.192");
    expect(reversedName("2001:db8::1")).toBe(
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
    );
  });

  it("off: nobody is looked up", async () => {
    await applyServerPolicy({ dnsBlocklists: false, dnsBlocklistZones: [ZONE] });
    dns.queries.length = 0;
    expect((await greetingFor("127.0.0.5")).greeting).toMatch(/^220 /);
    expect(dns.queries.filter((query) => query.name.endsWith(ZONE))).toEqual([]);
  });
});

describe("row 15: connection limits", () => {
  async function hold(count: number, from: string): Promise<RawSession[]> {
    return Promise.all(
      Array.from({ length: count }, () => RawSession.connect(agent.ports.inbound, { localAddress: from })),
    );
  }

  it("caps sessions per address with 421; another address still gets in", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      connectionLimits: { maxConcurrent: 500, maxPerIp: 3, maxNewPerIpPerMinute: 60 },
    });
    const held = await hold(3, "127.0.0.7");
    try {
      expect(held.map((session) => session.replies[0]!.code)).toEqual([220, 220, 220]);
      expect(await greetingFor("127.0.0.7")).toEqual({
        greeting: "421 4.7.0 mx.agent.test Too many connections from your address, try again later",
        closed: true,
      });
      expect((await sendFrom("127.0.0.8")).exitCode).toBe(0);
    } finally {
      for (const session of held) session.destroy();
    }
  });

  it("caps new connections per address per minute; the host itself and a whitelisted address are not capped", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      connectionLimits: { maxConcurrent: 500, maxPerIp: 10, maxNewPerIpPerMinute: 4 },
      ipWhitelist: [
        { network: "127.0.0.10", reason: "partner MX", expiresAt: null, skips: ["connection-limits"] },
      ],
    });
    for (let attempt = 0; attempt < 4; attempt++) {
      expect((await sendFrom("127.0.0.9")).exitCode).toBe(0);
    }
    const fifth = await sendFrom("127.0.0.9");
    expect(fifth.exitCode).not.toBe(0);
    expect(fifth.output).toContain("421 4.7.0 mx.agent.test Too many new connections from your address");
    for (let attempt = 0; attempt < 6; attempt++) {
      expect((await greetingFor("127.0.0.10")).greeting).toMatch(/^220 /);
      expect((await greetingFor("127.0.0.1")).greeting).toMatch(/^220 /);
    }
    expect(logLines).toContainEqual(
      expect.objectContaining({
        msg: "guard decided",
        rule: "connect.rate-per-address",
        client: "127.0.0.9",
      }),
    );
  });

  it("caps the listener's sessions for everyone, the host itself included", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      connectionLimits: { maxConcurrent: 3, maxPerIp: 10, maxNewPerIpPerMinute: 60 },
    });
    const held = await hold(3, "127.0.0.1");
    try {
      expect((await greetingFor("127.0.0.1")).greeting).toBe(
        "421 4.7.0 mx.agent.test Too many connected clients, try again later",
      );
      // The other listeners have their own budget.
      expect((await greetingFor("127.0.0.1", agent.ports.submission)).greeting).toMatch(/^220 /);
    } finally {
      for (const session of held) session.destroy();
    }
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: "guard decided", rule: "connect.max-clients", code: 421 }),
    );
  });
});

describe("row 16: reverse DNS / EHLO", () => {
  /** A whole message from `from`, introducing itself as `ehlo`, to ann@example.test. */
  function sendMessage(from: string, ehlo: string, subject: string) {
    return swaks([
      "--server",
      "127.0.0.1",
      "--port",
      String(agent.ports.inbound),
      "--local-interface",
      from,
      "--ehlo",
      ehlo,
      "--from",
      "sender@remote.test",
      "--to",
      "ann@example.test",
      "--header",
      `Subject: ${subject}`,
    ]);
  }

  async function delivered(subject: string): Promise<string> {
    const dir = path.join(maildirPath(state.dir, { domain: "example.test", localPart: "ann" }), "new");
    return waitFor(
      async () => {
        for (const name of await readdir(dir).catch(() => [] as string[])) {
          const message = await readFile(path.join(dir, name), "utf8");
          if (message.includes(`Subject: ${subject}`)) return message;
        }
        return undefined;
      },
      5000,
      subject,
    );
  }

  it("tag (the default): a client without forward-confirmed rDNS is delivered with a header saying so", async () => {
    await applyServerPolicy({ dnsBlocklists: false });
    expect((await sendMessage("127.0.0.11", "mx.good.test", "rdns good")).exitCode).toBe(0);
    expect((await sendMessage("127.0.0.12", "mx.nowhere.test", "rdns none")).exitCode).toBe(0);
    expect(await delivered("rdns good")).not.toContain("X-Mailwarden-Rdns");
    expect(await delivered("rdns none")).toContain(
      "X-Mailwarden-Rdns: fail; ip=127.0.0.12; ehlo=mx.nowhere.test; reason=no PTR record for 127.0.0.12",
    );
    expect(logLines).toContainEqual(
      expect.objectContaining({ rule: "rdns-ehlo", outcome: "tag", client: "127.0.0.12", result: "fail" }),
    );
    // Through the agent's resolver: the loopback DNS server saw the PTR questions.
    expect(dns.queries).toContainEqual({ name: "12.0.0.127.in-addr.arpa", type: "PTR" });
  });

  it("reject: no PTR, an unconfirmed PTR or a mismatched EHLO get 550 5.7.25 at MAIL FROM", async () => {
    await applyServerPolicy({ dnsBlocklists: false, rdnsCheck: "reject" });
    const noPtr = await sendMessage("127.0.0.12", "mx.nowhere.test", "rejected 1");
    expect(noPtr.exitCode).toBe(23);
    expect(noPtr.output).toContain("550 5.7.25 Reverse DNS validation failed: no PTR record for 127.0.0.12");
    const unconfirmed = await sendMessage("127.0.0.13", "spoof.good.test", "rejected 2");
    expect(unconfirmed.exitCode).toBe(23);
    expect(unconfirmed.output).toContain("PTR spoof.good.test does not resolve back to 127.0.0.13");
    const liar = await sendMessage("127.0.0.11", "bank.example", "rejected 3");
    expect(liar.exitCode).toBe(23);
    expect(liar.output).toContain("EHLO bank.example matches neither mx.good.test nor 127.0.0.11");
    expect(decisions("rdns-ehlo")).toHaveLength(3);

    // Consistent clients pass: the confirmed name, another name of the same address, the address literal.
    expect((await sendMessage("127.0.0.11", "mx.good.test", "passes 1")).exitCode).toBe(0);
    expect((await sendMessage("127.0.0.11", "relay.good.test", "passes 2")).exitCode).toBe(0);
    expect((await sendMessage("127.0.0.11", "[127.0.0.11]", "passes 3")).exitCode).toBe(0);
  });

  it("a whitelist entry that skips rdns, and off, let the same client through", async () => {
    await applyServerPolicy({
      dnsBlocklists: false,
      rdnsCheck: "reject",
      ipWhitelist: [{ network: "127.0.0.12", reason: "partner", expiresAt: null, skips: ["rdns"] }],
    });
    expect((await sendMessage("127.0.0.12", "mx.nowhere.test", "whitelisted")).exitCode).toBe(0);
    await applyServerPolicy({ dnsBlocklists: false, rdnsCheck: "off" });
    dns.queries.length = 0;
    expect((await sendMessage("127.0.0.13", "spoof.good.test", "unchecked")).exitCode).toBe(0);
    expect(await delivered("unchecked")).not.toContain("X-Mailwarden-Rdns");
    expect(dns.queries.filter((query) => query.type === "PTR")).toEqual([]);
  });
});
