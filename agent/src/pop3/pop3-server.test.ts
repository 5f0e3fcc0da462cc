// What a mail client (Python's poplib, a real POP3 client) and an abuser would notice on the POP3
// listeners: no login before TLS on the plain port (row 13), login after STLS and on the implicit-TLS
// port, messages listed, retrieved byte for byte, deleted from disk at QUIT and only then, one session
// per mailbox, bad input answered with -ERR, idle sessions dropped, the SMTP TLS policy applied.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { deliverToMaildir, maildirPath } from "../maildir/maildir";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { swaks } from "../test-support/swaks";
import { poplib, type PoplibResult, type PoplibStep } from "./test-support/poplib";
import { Pop3Wire } from "./test-support/pop3-wire";

const DOMAIN = "pop.test";
const PASSWORDS = {
  alice: "alice-Correct-horse-1",
  bob: "bob-Battery-staple-2",
  carol: "carol-Tr0ub4dor-and-3",
  dave: "dave-Staple-battery-4",
  erin: "erin-Horse-correct-5",
};

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;
let cafile: string;
let config: ReturnType<typeof agentConfig>;
const mailboxes: Record<string, string> = {};

beforeAll(async () => {
  state = await tempDir();
  agent = await startTestAgent(state.dir);
  cafile = path.join(state.dir, "tls", "cert.pem");
  for (const [localPart, password] of Object.entries(PASSWORDS)) {
    mailboxes[localPart] = await hashPassword(password);
  }
  config = agentConfig([{ name: DOMAIN, mailboxes }]);
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

function run(steps: PoplibStep[], options: { maxTls?: "TLSv1.2" } = {}): Promise<PoplibResult[]> {
  return poplib(steps, { cafile, ...options });
}

function maildir(localPart: string): string {
  return maildirPath(state.dir, { domain: DOMAIN, localPart });
}

async function files(localPart: string): Promise<{ new: string[]; cur: string[] }> {
  const list = (folder: string) => readdir(path.join(maildir(localPart), folder)).catch(() => [] as string[]);
  return { new: await list("new"), cur: await list("cur") };
}

function place(localPart: string, content: string): Promise<string> {
  return deliverToMaildir(state.dir, { domain: DOMAIN, localPart }, Buffer.from(content), "mx.agent.test");
}

/** poplib returns [response, lines, octets] for multi-line replies. */
function multiline(result: PoplibResult): { response: string; lines: string[]; octets: number } {
  expect(result.error, "poplib step failed").toBeUndefined();
  const [response, lines, octets] = result.ok as [string, string[], number];
  return { response, lines, octets };
}

const login = (conn: string, localPart: keyof typeof PASSWORDS): PoplibStep[] => [
  [conn, "user", `${localPart}@${DOMAIN}`],
  [conn, "pass_", PASSWORDS[localPart]],
];

describe("port 110 before STLS (row 13)", () => {
  it("hides USER and SASL from CAPA and refuses USER, PASS and AUTH without checking a password", async () => {
    const [welcome, capa, user, pass, auth, quit] = await run([
      ["a", "connect", agent.ports.pop3, "plain"],
      ["a", "capa"],
      ...login("a", "alice"),
      ["a", "raw", `AUTH PLAIN ${Buffer.from(`\0alice@${DOMAIN}\0${PASSWORDS.alice}`).toString("base64")}`],
      ["a", "quit"],
    ]);
    expect(welcome!.ok).toMatch(/^\+OK mx\.agent\.test /);
    const capabilities = Object.keys(capa!.ok as Record<string, string[]>);
    expect(capabilities).toEqual(expect.arrayContaining(["STLS", "TOP", "UIDL", "RESP-CODES", "PIPELINING"]));
    expect(capabilities).not.toContain("USER");
    expect(capabilities).not.toContain("SASL");
    for (const refused of [user, pass, auth]) {
      expect(refused!.error).toMatch(/^-ERR \[SYS\/PERM\] Login needs TLS first/);
      expect(refused!.ms).toBeLessThan(500); // refused outright, not a slowed failed login
    }
    expect(quit!.ok).toMatch(/^\+OK/);

    const posture = await agent.posture();
    expect(posture.listeners.filter((listener) => listener.name.startsWith("pop3"))).toEqual([
      { name: "pop3", port: agent.ports.pop3, tls: "starttls", authAdvertisedBeforeTls: false },
      { name: "pop3s", port: agent.ports.pop3s, tls: "implicit", authAdvertisedBeforeTls: false },
    ]);
  });
});

describe("a mail client over STLS on port 110", () => {
  it("logs in after STLS, lists, retrieves byte for byte, deletes at QUIT, and the file is gone", async () => {
    // Stored with CRLF, with a line that starts with "." (dot-stuffed on the wire, unstuffed by poplib).
    const first = "Subject: first\r\nFrom: a@remote.test\r\n\r\nHello Alice\r\n.hidden dot line\r\nBye\r\n";
    // Stored with bare LF and no final newline, as some local tools write mail.
    const second = "Subject: second\n\nline one\nline two\nline three";
    const firstFile = await place("alice", first);
    const secondFile = await place("alice", second);
    const secondName = path.basename(secondFile);

    const results = await run([
      ["a", "connect", agent.ports.pop3, "plain"],
      ["a", "stls"],
      ["a", "tls"],
      ["a", "capa"],
      ...login("a", "alice"),
      ["a", "stat"],
      ["a", "list"],
      ["a", "uidl"],
      ["a", "retr", 1],
      ["a", "retr", 2],
      ["a", "top", 2, 1],
      ["a", "dele", 1],
      ["a", "list"],
      ["a", "quit"],
    ]);
    const [, stls, tlsVersion, capa, user, pass, stat, list, uidl, retr1, retr2, top, dele, listAfter, quit] =
      results;
    expect(stls!.ok).toMatch(/^\+OK/);
    expect(tlsVersion!.ok).toBe("TLSv1.3");
    expect(capa!.ok).toMatchObject({ USER: [], SASL: ["PLAIN"] });
    expect(Object.keys(capa!.ok as object)).not.toContain("STLS");
    expect(user!.ok).toMatch(/^\+OK/);
    expect(pass!.ok).toMatch(/^\+OK alice@pop\.test has 2 messages/);

    const sizes = [Buffer.byteLength(first), Buffer.byteLength(second.replace(/\n/g, "\r\n") + "\r\n")];
    expect(stat!.ok).toEqual([2, sizes[0]! + sizes[1]!]);
    expect(multiline(list!).lines).toEqual([`1 ${sizes[0]}`, `2 ${sizes[1]}`]);
    expect(multiline(uidl!).lines).toEqual([`1 ${path.basename(firstFile)}`, `2 ${secondName}`]);

    const message1 = multiline(retr1!);
    expect(message1.response).toBe(`+OK ${sizes[0]} octets`);
    expect(message1.lines.join("\r\n") + "\r\n").toBe(first);
    expect(message1.octets).toBe(sizes[0]); // poplib counts what it received: LIST sizes are exact
    const message2 = multiline(retr2!);
    expect(message2.lines).toEqual(["Subject: second", "", "line one", "line two", "line three"]);
    expect(message2.octets).toBe(sizes[1]);
    expect(multiline(top!).lines).toEqual(["Subject: second", "", "line one"]);

    expect(dele!.ok).toBe("+OK Message 1 deleted");
    expect(multiline(listAfter!).lines).toEqual([`2 ${sizes[1]}`]);
    expect(quit!.ok).toMatch(/^\+OK .*\(1 messages deleted\)/);

    // Deleted for good; the retrieved survivor moved to cur/ as seen, under the same UIDL.
    expect(await files("alice")).toEqual({ new: [], cur: [`${secondName}:2,S`] });
    const [, , , , again, uidlAgain] = await run([
      ["b", "connect", agent.ports.pop3, "plain"],
      ["b", "stls"],
      ...login("b", "alice"),
      ["b", "stat"],
      ["b", "uidl"],
      ["b", "quit"],
    ]);
    expect(again!.ok).toEqual([1, sizes[1]]);
    expect(multiline(uidlAgain!).lines).toEqual([`1 ${secondName}`]);
  });
});

describe("a mail client over implicit TLS on port 995", () => {
  it("retrieves a message the SMTP listener delivered, logging in with AUTH PLAIN, and deletes it", async () => {
    const sent = await swaks([
      "--server",
      "127.0.0.1",
      "--port",
      String(agent.ports.submission),
      "--tls",
      "--auth",
      "PLAIN",
      "--auth-user",
      `bob@${DOMAIN}`,
      "--auth-password",
      PASSWORDS.bob,
      "--from",
      `bob@${DOMAIN}`,
      "--to",
      `bob@${DOMAIN}`,
      "--header",
      "Subject: POP3 round trip",
      "--body",
      "Delivered by SMTP, read over POP3.\n.leading dot\nEnd.",
    ]);
    expect(sent.exitCode, sent.output).toBe(0);
    // Local delivery may run from the queue just after the 250: wait for the file.
    const delivered = await waitFor(
      async () => ((await files("bob")).new.length === 1 ? (await files("bob")).new : null),
      10_000,
      "local delivery to bob",
    );
    const onDisk = await readFile(path.join(maildir("bob"), "new", delivered[0]!), "utf8");

    const plainAuth = Buffer.from(`\0bob@${DOMAIN}\0${PASSWORDS.bob}`).toString("base64");
    const [welcome, tlsVersion, capa, auth, list, retr, dele, quit] = await run([
      ["a", "connect", agent.ports.pop3s, "implicit"],
      ["a", "tls"],
      ["a", "capa"],
      ["a", "raw", `AUTH PLAIN ${plainAuth}`],
      ["a", "list"],
      ["a", "retr", 1],
      ["a", "dele", 1],
      ["a", "quit"],
    ]);
    expect(welcome!.ok).toMatch(/^\+OK/);
    expect(tlsVersion!.ok).toBe("TLSv1.3");
    expect(capa!.ok).toMatchObject({ USER: [], SASL: ["PLAIN"] });
    expect(Object.keys(capa!.ok as object)).not.toContain("STLS");
    expect(auth!.ok).toMatch(/^\+OK bob@pop\.test has 1 messages/);
    expect(multiline(list!).lines).toEqual([`1 ${Buffer.byteLength(onDisk)}`]);
    const message = multiline(retr!);
    expect(message.lines.join("\r\n") + "\r\n").toBe(onDisk);
    expect(message.lines).toContain("Subject: POP3 round trip");
    expect(message.lines).toContain(".leading dot");
    expect(message.lines[0]).toMatch(/^Received: /);
    expect(dele!.ok).toMatch(/^\+OK/);
    expect(quit!.ok).toMatch(/^\+OK/);
    expect(await files("bob")).toEqual({ new: [], cur: [] });
  });
});

describe("refusals", () => {
  it("refuses a wrong password and an unknown user after a delay, and closes after the third failure", async () => {
    const wrongPlain = Buffer.from(`\0alice@${DOMAIN}\0wrong-password`).toString("base64");
    const [, user, wrong, plain, , unknown, after] = await run([
      ["a", "connect", agent.ports.pop3s, "implicit"],
      ["a", "user", `alice@${DOMAIN}`],
      ["a", "pass_", "wrong-password"],
      ["a", "raw", `AUTH PLAIN ${wrongPlain}`],
      ["a", "user", `nobody@${DOMAIN}`],
      ["a", "pass_", "whatever-it-is"],
      ["a", "noop"],
    ]);
    expect(user!.ok).toMatch(/^\+OK/); // USER never says whether the mailbox exists
    expect(wrong!.error).toBe("-ERR [AUTH] Authentication failed");
    expect(plain!.error).toBe("-ERR [AUTH] Authentication failed");
    expect(unknown!.error).toBe("-ERR [AUTH] Authentication failed; too many attempts, closing");
    for (const failure of [wrong, plain, unknown]) expect(failure!.ms).toBeGreaterThanOrEqual(950);
    expect(after!.error).toBeDefined(); // the connection is gone
  });

  it("answers unknown commands, over-long lines and commands in the wrong state with -ERR", async () => {
    const results = await run([
      ["a", "connect", agent.ports.pop3s, "implicit"],
      ["a", "raw", "FOO bar"],
      ["a", "raw", "X".repeat(1100)],
      ["a", "raw", "STAT"],
      ["a", "raw", "RETR 1"],
      ["a", "raw", "PASS before-user"],
      ...login("a", "carol"),
      ["a", "raw", "USER carol@pop.test"],
      ["a", "raw", "STLS"],
      ["a", "raw", "RETR 99"],
      ["a", "raw", "RETR one"],
      ["a", "raw", "TOP 1"],
      ["a", "raw", `NOOP ${"Y".repeat(5000)}`],
      ["a", "noop"],
      ["a", "quit"],
    ]);
    const errors = results
      .slice(1, 6)
      .concat(results.slice(8, 14))
      .map((result) => result.error);
    expect(errors).toEqual([
      '-ERR Unknown command "FOO"',
      "-ERR Line too long (the limit is 1000 bytes)",
      "-ERR STAT is only valid after login",
      "-ERR RETR is only valid after login",
      "-ERR Send USER first",
      "-ERR USER is only valid before login",
      "-ERR STLS is only valid before login",
      "-ERR No such message",
      "-ERR Not a message number",
      "-ERR TOP needs a message number and a line count",
      "-ERR Line too long (the limit is 1000 bytes)",
    ]);
    expect(results[7]!.ok).toMatch(/^\+OK carol@pop\.test has 0 messages/);
    expect(results[14]!.ok).toBe("+OK");
    expect(results[15]!.ok).toMatch(/^\+OK/);
  });

  it("gives a second session for the same mailbox [IN-USE] until the first one quits", async () => {
    const results = await run([
      ["a", "connect", agent.ports.pop3, "plain"],
      ["a", "stls"],
      ...login("a", "carol"),
      ["b", "connect", agent.ports.pop3s, "implicit"],
      ...login("b", "carol"),
      ["a", "quit"],
      ...login("b", "carol"),
      ["b", "quit"],
    ]);
    expect(results[3]!.ok).toMatch(/^\+OK carol@pop\.test/);
    expect(results[6]!.error).toBe("-ERR [IN-USE] This mailbox is open in another POP3 session");
    expect(results[7]!.ok).toMatch(/^\+OK/);
    expect(results[9]!.ok).toMatch(/^\+OK carol@pop\.test/);
  });

  it("deletes nothing when the client goes away without QUIT, and frees the mailbox", async () => {
    const file = await place("dave", "Subject: keep me\r\n\r\nstill here\r\n");
    const [, , , dele] = await run([
      ["a", "connect", agent.ports.pop3s, "implicit"],
      ...login("a", "dave"),
      ["a", "dele", 1],
      ["a", "close"],
    ]);
    expect(dele!.ok).toMatch(/^\+OK/);
    const [, , , stat] = await run([
      ["b", "connect", agent.ports.pop3s, "implicit"],
      ...login("b", "dave"),
      ["b", "stat"],
      ["b", "quit"],
    ]);
    expect(stat!.ok).toEqual([1, expect.any(Number)]);
    expect((await files("dave")).new).toEqual([path.basename(file)]);
  });

  it("never reads commands pipelined behind STLS as if they came over TLS", async () => {
    const wire = await Pop3Wire.connect(agent.ports.pop3);
    try {
      expect(await wire.read()).toMatch(/^\+OK/);
      wire.write(`STLS\r\nUSER erin@${DOMAIN}\r\nCAPA\r\n`);
      expect(await wire.read()).toBe("+OK Begin TLS negotiation");
      await wire.startTls();
      // Had the injected USER been kept, PASS alone would log in.
      expect(await wire.command(`PASS ${PASSWORDS.erin}`)).toBe("-ERR Send USER first");
      expect(await wire.command("QUIT")).toMatch(/^\+OK/);
    } finally {
      wire.close();
    }
  });
});

describe("policy from the active config", () => {
  it("follows tlsMinVersion and authOnlyOverTls pushed for SMTP", async () => {
    const strict = agentConfig([{ name: DOMAIN, mailboxes }], {
      tlsMinVersion: "TLSv1.3",
      authOnlyOverTls: false,
    });
    expect(await agent.applyConfig(2, strict)).toEqual({ ok: true, revision: 2 });
    try {
      const [implicitOld] = await run([["a", "connect", agent.ports.pop3s, "implicit"]], {
        maxTls: "TLSv1.2",
      });
      expect(implicitOld).toMatchObject({ type: expect.stringMatching(/SSL/) });
      const [, capa, , pass, quit] = await run([
        ["a", "connect", agent.ports.pop3, "plain"],
        ["a", "capa"],
        ...login("a", "erin"),
        ["a", "quit"],
      ]);
      expect(capa!.ok).toMatchObject({ USER: [], SASL: ["PLAIN"], STLS: [] });
      expect(pass!.ok).toMatch(/^\+OK erin@pop\.test/);
      expect(quit!.ok).toMatch(/^\+OK/);
      const posture = await agent.posture();
      expect(posture.listeners.find((listener) => listener.name === "pop3")?.authAdvertisedBeforeTls).toBe(
        true,
      );
    } finally {
      expect(await agent.applyConfig(3, config)).toEqual({ ok: true, revision: 3 });
    }
  });
});

describe("session lifetime", () => {
  it("closes an idle session without applying its deletions, and stop() ends open sessions", async () => {
    const own = await tempDir();
    const idleAgent = await startTestAgent(own.dir, { pop3: { idleTimeoutMs: 1000 } });
    try {
      expect(await idleAgent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
      const file = await deliverToMaildir(
        own.dir,
        { domain: DOMAIN, localPart: "alice" },
        Buffer.from("Subject: idle\r\n\r\nbody\r\n"),
        "mx.agent.test",
      );
      const [, , , dele, , noop] = await poplib(
        [
          ["a", "connect", idleAgent.ports.pop3s, "implicit"],
          ...login("a", "alice"),
          ["a", "dele", 1],
          ["a", "sleep", 1.5],
          ["a", "noop"],
        ],
        { cafile: path.join(own.dir, "tls", "cert.pem") },
      );
      expect(dele!.ok).toMatch(/^\+OK/);
      expect(noop!.error).toBeDefined();
      expect(await readdir(path.dirname(file))).toEqual([path.basename(file)]);

      const wire = await Pop3Wire.connect(idleAgent.ports.pop3s, { implicitTls: true });
      expect(await wire.read()).toMatch(/^\+OK/);
      const stoppedAt = Date.now();
      await idleAgent.stop();
      expect(Date.now() - stoppedAt).toBeLessThan(1000);
      expect(await wire.read()).toBe("-ERR [SYS/TEMP] Server shutting down; no changes were made");
      await wire.closed;
    } finally {
      await idleAgent.stop();
      await own.remove();
    }
  });
});
