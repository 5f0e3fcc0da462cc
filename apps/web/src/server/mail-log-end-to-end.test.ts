// Issue 13's promise with nothing simulated: every record lands exactly once. A real agent process (the
// CLI a host runs, enrolled with a token) serves real SMTP sessions — recipients accepted and refused at
// RCPT, messages queued and delivered — and ships its mail log to a real hub process on a real Postgres,
// while the test kills the agent with SIGKILL right after its sessions, kills the hub with SIGKILL in the
// middle of storing a batch (and again while batches stream), cuts the TCP connection after a batch was
// committed but before its ack got through, and restarts the hub gracefully. At the end the table holds
// the server's sequence numbers 1..N, each once, N being the last number the agent handed out, and the
// records are the ones the sessions produced.
//
// Lives in apps/web because only here do the database, the hub and the protocol meet as dependencies.
// Between agent and hub sits a plain TCP forwarder owned by the test (the agent's credential names it):
// the only way to cut an established connection from outside both processes. Each fault is made
// deterministic by holding a lock on the log table, so a batch is provably inside the hub's insert when
// the fault strikes; every wait is on a condition (the table, the spool's files, the processes' output).
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  holdMailLogTable,
  isMailLogInsertWaiting,
  type TestDatabase,
} from "@mailwarden/db/testing";
import { createEnrollmentToken, createTenant, eventually } from "@mailwarden/hub/testing";
import { freePorts } from "../../../../agent/src/test-support/ports";
import { SmtpDialog } from "../../../../agent/src/test-support/smtp-dialog";
import { hashPassword } from "./passwords";

const repoRoot = path.resolve(import.meta.dirname, "../../../..");
const agentCli = path.join(repoRoot, "agent", "bin", "mailwarden-agent.mjs");
const hubScript = path.join(import.meta.dirname, "test-support", "mail-log-hub-process.ts");
const DOMAIN = "shop.test";
/** Generous: agent and hub compile their TypeScript at start, on a two-core machine shared with others. */
const START_MS = 60_000;
const SETTLE_MS = 60_000;

let db: TestDatabase;
let workDir: string;
let stateDir: string;
let configPath: string;
let serverId: string;
let hubPort: number;
let inboundPort: number;
let proxy: TcpProxy;
let hub: HubProcess;
let agent: AgentProcess;
const cleanups: (() => Promise<unknown>)[] = [];

// ---------------------------------------------------------------------------------------------------
// What the SMTP sessions must have produced, kept as they run.

interface Expected {
  sessions: number;
  /** Connections that only waited for the greeting (is the agent up?): a connection.opened each. */
  probes: number;
  rcptAccepted: string[];
  rcptRefused: { to: string; rule: string; code: number }[];
  queueIds: string[];
}
const expected: Expected = { sessions: 0, probes: 0, rcptAccepted: [], rcptRefused: [], queueIds: [] };
let sessionCount = 0;

/**
 * One SMTP session on the agent's inbound listener. Odd sessions: one recipient accepted, one refused
 * (unknown mailbox), then the message, queued. Even sessions: one recipient refused (relay), no message.
 */
async function smtpSession(): Promise<void> {
  const n = ++sessionCount;
  const { dialog, greeting } = await SmtpDialog.connect(inboundPort);
  try {
    expect(greeting.code).toBe(220);
    expect((await dialog.command("EHLO client.elsewhere.test")).code).toBe(250);
    expect((await dialog.command(`MAIL FROM:<sender${n}@elsewhere.test>`)).code).toBe(250);
    if (n % 2 === 1) {
      expect((await dialog.command(`RCPT TO:<bob@${DOMAIN}>`)).code).toBe(250);
      const unknown = `nobody${n}@${DOMAIN}`;
      expect((await dialog.command(`RCPT TO:<${unknown}>`)).code).toBe(550);
      expect((await dialog.command("DATA")).code).toBe(354);
      dialog.write(
        [
          `From: <sender${n}@elsewhere.test>`,
          `To: <bob@${DOMAIN}>`,
          `Subject: order ${n}`,
          `Message-ID: <order-${n}@elsewhere.test>`,
          "",
          `Order number ${n}.`,
          ".",
          "",
        ].join("\r\n"),
      );
      const queued = await dialog.read();
      expect(queued.code).toBe(250);
      const queueId = /queued as ([0-9A-Za-z]+)/.exec(queued.text)?.[1];
      expect(queueId).toBeDefined();
      expected.rcptAccepted.push(`bob@${DOMAIN}`);
      expected.rcptRefused.push({ to: unknown, rule: "local-recipient", code: 550 });
      expected.queueIds.push(queueId!);
    } else {
      const foreign = `someone${n}@elsewhere.test`;
      expect((await dialog.command(`RCPT TO:<${foreign}>`)).code).toBe(554);
      expected.rcptRefused.push({ to: foreign, rule: "relay", code: 554 });
    }
    expected.sessions += 1;
    await dialog.command("QUIT");
  } finally {
    dialog.close();
  }
}

async function smtpSessions(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await smtpSession();
}

// ---------------------------------------------------------------------------------------------------
// Reading both ends: the table, and the agent's spool files (the format is spool.ts's: u32 length,
// u32 CRC, then the record's JSON starting {"seq":N,).

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function tableSeqs(): Promise<number[]> {
  const rows = await db.prisma.$queryRaw<{ seq: bigint }[]>`
    SELECT "seq" FROM "MailLogRecord" WHERE "serverId" = ${serverId} ORDER BY "seq"`;
  return rows.map((row) => Number(row.seq));
}

interface StoredRow {
  seq: number;
  type: string;
  outcome: string | null;
  rule: string | null;
  queueId: string | null;
  record: Record<string, unknown>;
}

async function tableRows(): Promise<StoredRow[]> {
  const rows = await db.prisma.$queryRaw<(Omit<StoredRow, "seq"> & { seq: bigint })[]>`
    SELECT "seq", "type", "outcome", "rule", "queueId", "record" FROM "MailLogRecord"
     WHERE "serverId" = ${serverId} ORDER BY "seq"`;
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

async function ackedSeq(): Promise<number> {
  const text = await readFile(path.join(stateDir, "mail-log", "acked.json"), "utf8").catch(() => "{}");
  return (JSON.parse(text) as { ackedSeq?: number }).ackedSeq ?? 0;
}

/** The sequence numbers in the spool's segment files (complete records only). */
async function spooledSeqs(): Promise<number[]> {
  const dir = path.join(stateDir, "mail-log");
  const names = (await readdir(dir).catch(() => [])).filter((name) => /^\d{10}\.spool$/.test(name)).sort();
  const seqs: number[] = [];
  for (const name of names) {
    const data = await readFile(path.join(dir, name)).catch(() => Buffer.alloc(0));
    for (let at = 0; at + 8 <= data.length;) {
      const length = data.readUInt32LE(at);
      if (at + 8 + length > data.length) break;
      const seq = /^\{"seq":(\d+),/.exec(data.toString("latin1", at + 8, at + 8 + 30))?.[1];
      if (seq) seqs.push(Number(seq));
      at += 8 + length;
    }
  }
  return seqs;
}

/** The last number the agent handed out: in the spool, or acknowledged and deleted from it. */
async function lastRecordedSeq(): Promise<number> {
  return Math.max(await ackedSeq(), ...(await spooledSeqs()));
}

/**
 * Everything the agent recorded is stored and acknowledged, and every queued message's delivery is
 * among it (deliveries are recorded after the session, by the queue).
 */
async function isSettled(): Promise<boolean> {
  const last = await lastRecordedSeq();
  if ((await ackedSeq()) !== last) return false;
  const seqs = await tableSeqs();
  if (seqs.length < last || seqs.at(-1) !== last) return false;
  const delivered = await db.prisma.$queryRaw<{ queueId: string }[]>`
    SELECT DISTINCT "queueId" FROM "MailLogRecord"
     WHERE "serverId" = ${serverId} AND "type" = 'delivery' AND "outcome" = 'delivered'`;
  const ids = new Set(delivered.map((row) => row.queueId));
  return expected.queueIds.every((id) => ids.has(id));
}

async function expectSettledExactlyOnce(what: string): Promise<number> {
  await eventually(isSettled, SETTLE_MS).catch((error: unknown) => {
    throw new Error(`${what}: ${String(error)}\nagent:\n${agent.output()}\nhub:\n${hub.output()}`);
  });
  const last = await lastRecordedSeq();
  expect(await tableSeqs()).toEqual(range(1, last));
  return last;
}

// ---------------------------------------------------------------------------------------------------
// Faults: a lock that makes the hub's insert wait, a TCP forwarder that can cut the connection.

/** Holds the log table so the hub's insert waits mid-statement; returns the release. */
async function holdLogTable(): Promise<() => Promise<void>> {
  const release = await holdMailLogTable(db.url);
  cleanups.push(release);
  return release;
}

const isInsertWaiting = () => isMailLogInsertWaiting(db.prisma);

/** Forwards loopback TCP to the hub; can cut every connection and refuse new ones for a while. */
class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  isRefusing = false;

  private constructor(private readonly server: net.Server) {}

  static async start(listenPort: number, targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server);
    server.on("connection", (client) => proxy.forward(client, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(listenPort, "127.0.0.1", resolve);
    });
    return proxy;
  }

  private forward(client: net.Socket, targetPort: number): void {
    if (this.isRefusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on("error", () => other.destroy());
      socket.on("close", () => {
        this.sockets.delete(socket);
        other.destroy();
      });
      socket.pipe(other);
    }
  }

  /** Cuts every connection with a TCP reset, as a dying network path would. */
  cut(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A DNS server that answers NXDOMAIN to everything: the agent's SPF/DMARC checks never reach the host's DNS. */
async function startEmptyDns(): Promise<{ address: string; close(): Promise<void> }> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (query, remote) => {
    if (query.length < 12) return;
    // header, then the question as asked (labels up to the root, then QTYPE and QCLASS)
    let end = 12;
    while (end < query.length && query[end] !== 0) end += query[end]! + 1;
    end += 5;
    if (end > query.length) return;
    const answer = Buffer.from(query.subarray(0, end));
    answer[2] = 0x80 | (query[2]! & 0x79); // QR, opcode and RD as asked, not authoritative
    answer[3] = 0x80 | 3; // RA, NXDOMAIN
    answer.writeUInt16BE(1, 4);
    answer.fill(0, 6, 12); // no answer, authority or additional records
    socket.send(answer, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------------
// Processes, each stopped by its pid.

/** Keeps the last bytes a process wrote, for failure messages. */
function captureOutput(child: ChildProcess): () => string {
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => output;
}

interface ManagedProcess {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
  isRunning(): boolean;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

function manage(child: ChildProcess, output: () => string): ManagedProcess {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const signal = async (name: NodeJS.Signals) => {
    if (isRunning() && child.pid) process.kill(child.pid, name);
    await exited;
  };
  const managed = {
    child,
    exited,
    output,
    isRunning,
    kill: () => signal("SIGKILL"),
    stop: () => signal("SIGTERM"),
  };
  cleanups.push(() => managed.kill());
  return managed;
}

type HubProcess = ManagedProcess;
type AgentProcess = ManagedProcess;

async function startHubProcess(): Promise<HubProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", hubScript, db.url, String(hubPort)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const managed = manage(child, captureOutput(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the hub did not start:\n${managed.output()}`)),
      START_MS,
    );
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith('{"url":')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void managed.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the hub exited before listening:\n${managed.output()}`));
    });
  });
  return managed;
}

function runAgentCli(args: string[]): ManagedProcess {
  const child = spawn(process.execPath, [agentCli, ...args, "--config", configPath], {
    env: { ...process.env, MAILWARDEN_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return manage(child, captureOutput(child));
}

/** Starts the agent daemon and waits until its inbound listener greets. */
async function startAgentProcess(): Promise<AgentProcess> {
  const started = runAgentCli(["run"]);
  await eventually(async () => {
    if (!started.isRunning()) throw new Error(`the agent exited:\n${started.output()}`);
    const { dialog, greeting } = await SmtpDialog.connect(inboundPort);
    dialog.close();
    expected.probes += 1;
    return greeting.code === 220;
  }, START_MS);
  return started;
}

// ---------------------------------------------------------------------------------------------------

beforeAll(async () => {
  db = await createTestDatabase();
  cleanups.push(() => db.stop());
  workDir = await mkdtemp(path.join(os.tmpdir(), "mw-mail-log-e2e-"));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  stateDir = path.join(workDir, "state");
  configPath = path.join(workDir, "agent.json");
  await mkdir(stateDir, { recursive: true, mode: 0o700 });

  const { tenantId } = await createTenant(db.prisma);
  const server = await db.prisma.server.create({
    data: { tenantId, name: "mx-e2e", listeners: ["INBOUND"] },
  });
  serverId = server.id;
  const domain = await db.prisma.domain.create({ data: { tenantId, name: DOMAIN } });
  await db.prisma.mailbox.create({
    data: {
      tenantId,
      domainId: domain.id,
      localPart: "bob",
      passwordHash: await hashPassword("Bob-Mailbox-42"),
    },
  });
  const token = await createEnrollmentToken(db.prisma, serverId);

  const dns = await startEmptyDns();
  cleanups.push(() => dns.close());
  const [proxyPort, hub0, inbound, submission, submissionTls, pop3, pop3s] = await freePorts(7);
  hubPort = hub0!;
  inboundPort = inbound!;
  proxy = await TcpProxy.start(proxyPort!, hubPort);
  cleanups.push(() => proxy.close());
  const listener = (port: number | undefined) => ({ port: port!, host: "127.0.0.1" });
  await writeFile(
    configPath,
    JSON.stringify({
      stateDir,
      hostname: "mx.e2e.test",
      listeners: {
        inbound: listener(inbound),
        submission: listener(submission),
        submissionTls: listener(submissionTls),
        pop3: listener(pop3),
        pop3s: listener(pop3s),
      },
      dnsServers: [dns.address],
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      smtp: { greetingDelayMs: 0 },
      delivery: { queueRunIntervalMs: 200 },
      shutdownGraceMs: 500,
    }),
  );

  hub = await startHubProcess();
  const enroll = runAgentCli(["enroll", "--url", `ws://127.0.0.1:${proxyPort}/agent`, "--token", token]);
  await enroll.exited;
  if (enroll.child.exitCode !== 0) throw new Error(`enroll failed:\n${enroll.output()}`);
  agent = await startAgentProcess();
  // The policy from the hub is applied: the agent knows bob@shop.test.
  await eventually(async () => {
    const row = await db.prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    return row.appliedRevision === row.desiredRevision && row.status === "ONLINE";
  }, START_MS);
  await expectSettledExactlyOnce("the first policy.applied");
}, 3 * START_MS);

afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
}, 60_000);

describe("mail log end to end: real agent, real hub, real Postgres", () => {
  it("loses nothing and stores nothing twice when the agent is killed with SIGKILL right after its sessions", async () => {
    const before = (await tableSeqs()).length;
    // Nothing of these sessions can be committed before the kill: whatever the agent ships waits.
    const release = await holdLogTable();
    await smtpSessions(6);
    await agent.kill();
    const recorded = await lastRecordedSeq();
    // 3 sessions × 5 records and 3 × 3, at the least, were in the spool when the agent died
    expect(recorded).toBeGreaterThanOrEqual(before + 24);
    expect(await tableSeqs()).toHaveLength(before);
    // A batch the dead agent had sent may commit now, unacknowledged: the resend must not add it again.
    await release();
    agent = await startAgentProcess();
    expect(await expectSettledExactlyOnce("after the agent's restart")).toBeGreaterThanOrEqual(recorded);
  }, 180_000);

  it("stores every record once when the hub process is killed with SIGKILL in the middle of a batch", async () => {
    // First kill: a batch is provably inside the hub's insert.
    const release = await holdLogTable();
    await smtpSessions(4);
    await eventually(isInsertWaiting, SETTLE_MS);
    await hub.kill();
    await release();
    hub = await startHubProcess();
    const afterFirst = await expectSettledExactlyOnce("after the first hub kill");

    // Second kill: while sessions go on and batches stream, wherever the hub happens to be.
    let isKilled = false;
    const streaming = (async () => {
      while (!isKilled) await smtpSession();
      await smtpSessions(2); // the agent keeps recording while the hub is gone
    })();
    streaming.catch(() => undefined); // awaited below, where a failed session fails the test
    try {
      await eventually(async () => (await tableSeqs()).length > afterFirst, SETTLE_MS);
    } finally {
      await hub.kill();
      isKilled = true;
    }
    await streaming;
    hub = await startHubProcess();
    await expectSettledExactlyOnce("after the second hub kill");
  }, 180_000);

  it("stores every record once when the connection is cut after a commit whose ack never arrives, and across a graceful hub restart", async () => {
    const release = await holdLogTable();
    await smtpSessions(4);
    await eventually(isInsertWaiting, SETTLE_MS);
    proxy.isRefusing = true;
    proxy.cut();
    await release();
    // The hub commits the batch it was storing; its ack has no connection left to travel on.
    await eventually(async () => ((await tableSeqs()).at(-1) ?? 0) > (await ackedSeq()), SETTLE_MS);
    proxy.isRefusing = false;
    await expectSettledExactlyOnce("after the cut connection");

    await smtpSessions(4);
    await hub.stop();
    hub = await startHubProcess();
    await expectSettledExactlyOnce("after the graceful hub restart");
  }, 180_000);

  it("holds, after all of it, the numbers 1..N once each and exactly the records the sessions produced", async () => {
    await smtpSessions(2);
    const last = await expectSettledExactlyOnce("at the end");
    await agent.stop();
    // Stopped cleanly, the agent handed out no number the table does not hold.
    expect(await lastRecordedSeq()).toBe(last);
    expect(await ackedSeq()).toBe(last);

    const rows = await tableRows();
    expect(rows.map((row) => row.seq)).toEqual(range(1, last));
    const ofType = (type: string) => rows.filter((row) => row.type === type);
    expect(ofType("gap")).toEqual([]);
    expect(ofType("connection.opened")).toHaveLength(expected.sessions + expected.probes);
    expect(ofType("mail.from")).toHaveLength(expected.sessions);
    const rcpts = ofType("rcpt.to");
    expect(rcpts.filter((row) => row.outcome === "accepted").map((row) => row.record.to)).toEqual(
      expected.rcptAccepted,
    );
    expect(
      rcpts
        .filter((row) => row.outcome !== "accepted")
        .map((row) => ({ to: row.record.to, rule: row.rule, code: row.record.code })),
    ).toEqual(expected.rcptRefused);
    expect(ofType("message.accepted").map((row) => row.queueId)).toEqual(expected.queueIds);
    expect(ofType("message.accepted").every((row) => row.record.folder === "inbox")).toBe(true);
    const deliveries = ofType("delivery");
    expect(new Set(deliveries.map((row) => row.queueId))).toEqual(new Set(expected.queueIds));
    expect(deliveries.every((row) => row.outcome === "delivered" && row.record.host === "maildir")).toBe(
      true,
    );
    // Besides the sessions and their deliveries: the policy the hub pushed, nothing else.
    const explained = new Set(["connection.opened", "mail.from", "rcpt.to", "message.accepted", "delivery"]);
    expect(new Set(rows.filter((row) => !explained.has(row.type)).map((row) => row.type))).toEqual(
      new Set(["policy.applied"]),
    );
  }, 120_000);
});
