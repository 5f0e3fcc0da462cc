// 2,000 malformed sessions, 50 at a time, from eight loopback addresses, against the real agent process
// (the CLI, as systemd runs it): smuggling, floods, over-long lines, NULs, recipient floods, broken
// AUTH, garbage TLS, abandoned transfers. Every session must get its expected reply, the agent's RSS
// must stay bounded, and a normal message must still land in the Maildir afterwards.
// RSS alone says little about leaks (V8 grows its heap and gives it back when it likes: over seven
// rounds of 2,000 sessions RSS wandered between 148 and 188 MiB), so the agent also runs with the
// inspector on loopback and the test compares its live heap after a forced GC, before and after — each
// taken once the agent holds no client connection and has written out every log line (its logger
// buffers lines while a write is in flight; with tens of thousands of lines that is tens of MiB on a
// busy machine), so a loaded machine measures the same thing as an idle one: what stays once every
// session is gone and said so. The agent logs to a file, which never pushes back as a pipe does.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebSocket } from "ws";
import { maildirPath } from "../../maildir/maildir";
import { persistAppliedConfig } from "../../state/applied-config";
import { agentConfig, hashPassword, loopbackSettings, tempDir, waitFor } from "../../test-support/fixtures";
import { RawSession } from "./raw-session";
import { freePorts } from "../../test-support/ports";

const SESSIONS = 2000;
const CONCURRENCY = 50;
const MiB = 1024 * 1024;
const PASSWORD = "stress-Correct-horse-9";
const launcher = fileURLToPath(new URL("../../../bin/mailwarden-agent.mjs", import.meta.url));

let state: Awaited<ReturnType<typeof tempDir>>;
let child: ChildProcess;
let exited: Promise<number | null>;
let logFile = "";
/** The end of the agent's output (its log lines and the inspector's notice). */
async function outputTail(chars = 3000): Promise<string> {
  return (await readFile(logFile, "utf8").catch(() => "")).slice(-chars);
}
let inspectorUrl = "";
const ports = { inbound: 0, submission: 0, submissionTls: 0 };

/** Runs `use` with a connection to the agent's inspector (Chrome DevTools protocol). */
async function withInspector<T>(
  use: (call: (method: string, params?: object) => Promise<Record<string, unknown>>) => Promise<T>,
): Promise<T> {
  const socket = new WebSocket(inspectorUrl);
  await once(socket, "open");
  let lastId = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++lastId;
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown> };
        if (message.id !== id) return;
        socket.off("message", onMessage);
        if (message.result) resolve(message.result);
        else reject(new Error(`${method} failed: ${data.toString()}`));
      };
      socket.on("message", onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    return await use(call);
  } finally {
    socket.close();
  }
}

/**
 * TCP connections the agent holds with clients (its listeners have no remote address) plus writes in
 * flight (the logger writing out its buffer): 0 once every session is closed and logged.
 */
function busyCount(): Promise<number> {
  return withInspector(async (call) => {
    const { result } = (await call("Runtime.evaluate", {
      expression:
        `process._getActiveHandles().filter((handle) => typeof handle.remoteAddress === "string").length` +
        ` + process._getActiveRequests().length`,
      returnByValue: true,
    })) as { result: { value: number } };
    return result.value;
  });
}

/**
 * The agent's live heap after a full GC, once it holds no client connection (however long closing the
 * last sessions takes on a loaded machine): what a leak would leave behind, not what is still in use.
 */
async function retainedHeap(): Promise<number> {
  await waitFor(async () => (await busyCount()) === 0, 60_000, "every client connection closed and logged");
  return withInspector(async (call) => {
    await call("HeapProfiler.collectGarbage");
    return Number((await call("Runtime.getHeapUsage")).usedSize);
  });
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return Number(kib) * 1024;
}

beforeAll(async () => {
  state = await tempDir("mw-stress-");
  const stateDir = path.join(state.dir, "state");
  const names = Object.keys(ports) as (keyof typeof ports)[];
  const picked = await freePorts(names.length);
  names.forEach((name, index) => (ports[name] = picked[index]!));
  await persistAppliedConfig(stateDir, {
    revision: 1,
    config: agentConfig(
      [
        {
          name: "example.test",
          policy: { requireSmtpAuth: true },
          mailboxes: { bob: await hashPassword(PASSWORD) },
        },
      ],
      // ~250 sessions per source address in well under a minute, and no DNS server of its own: this
      // test is about hostile input, so row 15's limits are raised, row 21's DoS rule is off and rows
      // 16-17 (DNS) are off.
      {
        connectionLimits: { maxConcurrent: 500, maxPerIp: 50, maxNewPerIpPerMinute: 100_000 },
        abuseDenialOfService: { enabled: false, connections: 120, minutes: 1, blockMinutes: 60 },
        dnsBlocklists: false,
        rdnsCheck: "off",
      },
    ),
  });
  const base = loopbackSettings(stateDir);
  const settings = {
    ...base,
    listeners: {
      ...base.listeners,
      inbound: { port: ports.inbound, host: "127.0.0.1" },
      submission: { port: ports.submission, host: "127.0.0.1" },
      submissionTls: { port: ports.submissionTls, host: "127.0.0.1" },
    },
    smtp: { idleTimeoutMs: 5000 },
  };
  const configPath = path.join(state.dir, "agent.json");
  await writeFile(configPath, JSON.stringify(settings));
  // Production log level: every guard decision is written, and that is part of the load.
  logFile = path.join(state.dir, "agent.log");
  const log = openSync(logFile, "a");
  child = spawn(process.execPath, ["--inspect=127.0.0.1:0", launcher, "run", "--config", configPath], {
    env: { ...process.env, MAILWARDEN_LOG_LEVEL: "info" },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  await waitFor(
    async () => (await outputTail(1_000_000)).includes('"msg":"agent running"'),
    20_000,
    "agent running",
  );
  inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(await outputTail(1_000_000))?.[1] ?? "";
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await exited;
  }
  await state?.remove();
});

const plain = (local: string) => ({ localAddress: local });
const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 251));

/** One malformed session each; resolves with what it saw, for the outcome check. */
const patterns: Record<string, (local: string) => Promise<string>> = {
  async smuggling(local) {
    const s = await RawSession.connect(ports.inbound, plain(local));
    await s.write(
      "EHLO s.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n" +
        "Subject: x\r\n\r\nhi\n.\nMAIL FROM:<smuggled@evil.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nevil\r\n.\r\nQUIT\r\n",
    );
    await s.waitForClose();
    return s.replies.map((r) => r.code).join(",");
  },
  async smugglingOverStarttls(local) {
    const s = await RawSession.connect(ports.inbound, plain(local));
    await s.command("EHLO s.test");
    await s.startTls();
    await s.write(
      "EHLO s.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nhi\r.\rMAIL FROM:<x@evil.test>\r\n.\r\nQUIT\r\n",
    );
    await s.waitForClose();
    return s.replies.map((r) => r.code).join(",");
  },
  async longCommand(local) {
    const s = await RawSession.connect(ports.submission, plain(local));
    await s.write("EHLO " + "x".repeat(40_000));
    await s.waitForClose();
    return String(s.replies.at(-1)?.code);
  },
  async noopFlood(local) {
    const s = await RawSession.connect(ports.inbound, plain(local));
    await s.write("NOOP\r\n".repeat(3000));
    await s.waitForClose();
    return `${s.replies.length - 1}x,${s.replies.at(-1)?.code}`;
  },
  async bogusFlood(local) {
    const s = await RawSession.connect(ports.submission, plain(local));
    await s.write("GET / HTTP/1.0\r\nFOO\r\n".repeat(1000));
    await s.waitForClose();
    return String(s.replies.at(-1)?.code);
  },
  async nulBytes(local) {
    const s = await RawSession.connect(ports.inbound, plain(local));
    await s.write(
      "EHLO n.test\r\nMA\0IL FROM:<a@remote.test>\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<bob@example.test>\r\n" +
        "DATA\r\nSubject: nul\r\n\r\na\0b\r\n.\r\nQUIT\r\n",
    );
    await s.waitForClose();
    return s.replies.map((r) => r.code).join(",");
  },
  async recipientFlood(local) {
    const s = await RawSession.connect(ports.inbound, plain(local));
    await s.write(
      "EHLO r.test\r\nMAIL FROM:<a@remote.test>\r\n" + "RCPT TO:<bob@example.test>\r\n".repeat(1200),
    );
    await s.waitForClose();
    return String(s.replies.at(-1)?.code);
  },
  async badAuthBase64(local) {
    const s = await RawSession.connect(ports.submissionTls, { implicitTls: true, localAddress: local });
    await s.write("EHLO a.test\r\nAUTH PLAIN ***garbage***\r\nAUTH LOGIN\r\n%%%\r\nQUIT\r\n");
    await s.waitForClose();
    return s.replies.map((r) => r.code).join(",");
  },
  async garbageTls(local) {
    const s = await RawSession.connectRaw(ports.submissionTls, local);
    await s.write(garbage);
    await s.waitForClose();
    return "closed";
  },
  async garbageAfterStarttls(local) {
    const s = await RawSession.connect(ports.submission, plain(local));
    await s.command("EHLO g.test");
    await s.command("STARTTLS");
    await s.write(garbage);
    await s.waitForClose();
    return "closed";
  },
  async megabyteLine(local) {
    const s = await RawSession.connect(ports.inbound, plain(local));
    await s.write("EHLO m.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
    await s.waitForReplies(5);
    await s.write("Subject: wide\r\n\r\n" + "w".repeat(MiB) + "\r\n.\r\nQUIT\r\n");
    await s.waitForClose();
    return s.replies.map((r) => r.code).join(",");
  },
  async abandonedData(local) {
    const s = await RawSession.connect(ports.inbound, plain(local));
    await s.write("EHLO d.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
    await s.waitForReplies(5);
    await s.write("Subject: gone\r\n\r\n" + "half a message\r\n".repeat(2000));
    s.destroy();
    return "abandoned";
  },
};

const expected: Record<string, string> = {
  smuggling: "220,250,250,250,354,550,221",
  smugglingOverStarttls: "220,250,220,250,250,250,354,550,221",
  longCommand: "421",
  noopFlood: "101x,421",
  bogusFlood: "421",
  nulBytes: "220,250,500,250,250,354,550,221",
  recipientFlood: "421",
  badAuthBase64: "220,250,501,334,501,221",
  garbageTls: "closed",
  garbageAfterStarttls: "closed",
  megabyteLine: "220,250,250,250,354,552,221",
  abandonedData: "abandoned",
};

it(`survives ${SESSIONS} malformed sessions, ${CONCURRENCY} at a time, with bounded memory`, async () => {
  const pid = child.pid!;
  const names = Object.keys(patterns);
  const run = async (count: number) => {
    const outcomes = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const name = names[index % names.length]!;
        const local = `127.0.0.${2 + (index % 8)}`;
        const outcome = await patterns[name]!(local).catch((error: Error) => `error: ${error.message}`);
        const key = outcome === expected[name] ? `${name}: ok` : `${name}: ${outcome}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return outcomes;
  };

  // Warm-up: JIT, TLS contexts, pino, the first Maildir; then the baseline.
  await run(names.length * 10);
  const baselineHeap = await retainedHeap();
  const baseline = await rssBytes(pid);
  let peak = baseline;
  const sampler = setInterval(() => {
    rssBytes(pid).then(
      (rss) => (peak = Math.max(peak, rss)),
      () => undefined,
    );
  }, 100);
  const started = Date.now();
  const outcomes = await run(SESSIONS);
  const elapsedMs = Date.now() - started;
  clearInterval(sampler);
  // Both heap figures are taken with no client connected, right after a forced GC, so they compare like
  // with like whatever the machine's load; so are both RSS figures.
  const afterHeap = await retainedHeap();
  const after = await rssBytes(pid);
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
  console.log(
    `stress: ${SESSIONS} sessions in ${elapsedMs} ms; agent RSS after GC ${mib(baseline)} → ${mib(after)}, ` +
      `peak ${mib(peak)}; live heap after GC ${mib(baselineHeap)} → ${mib(afterHeap)}`,
  );

  const failures = [...outcomes].filter(([key]) => !key.endsWith(": ok"));
  expect(failures, await outputTail()).toEqual([]);
  // Not a speed test (that is bench/): only a guard against a hang, generous for a loaded 2-core machine.
  expect(elapsedMs).toBeLessThan(120_000);
  expect(child.exitCode).toBeNull();
  // RSS bounds leave room for GC timing on a loaded machine (the peak was +85…145 MiB with the whole
  // suite running beside it); the leak check that matters is the live heap after a forced GC.
  expect(peak - baseline).toBeLessThan(256 * MiB);
  expect(after - baseline).toBeLessThan(64 * MiB);
  // A leaked session keeps its connection, parser and buffers (tens of KiB): 4 KiB per session retained
  // is far below one leaked session in ten, and far above the heap's own noise (JIT code, caches).
  expect(afterHeap - baselineHeap).toBeLessThan(SESSIONS * 4 * 1024);

  // A normal client still gets through, and its message is on disk.
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: ports.inbound,
    tls: { rejectUnauthorized: false },
  });
  const info = await transport.sendMail({
    from: "friend@remote.test",
    to: "bob@example.test",
    subject: "after the storm",
    text: "still here",
  });
  transport.close();
  expect(info.response).toMatch(/^250 /);
  const dir = path.join(
    maildirPath(path.join(state.dir, "state"), { domain: "example.test", localPart: "bob" }),
    "new",
  );
  // the delivery worker writes it there from the queue, just after the 250
  const messages = await waitFor(async () => {
    const names = await readdir(dir).catch(() => [] as string[]);
    const texts = await Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8")));
    return texts.some((text) => text.includes("Subject: after the storm")) && texts;
  });
  expect(messages.filter((message) => message.includes("Subject: after the storm"))).toHaveLength(1);
  expect(messages.some((message) => message.includes("smuggled@evil.test"))).toBe(false);
}, 240_000);
