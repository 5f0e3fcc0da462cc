// Mail-log ingest through a real hub into a real Postgres, with a ws client that ships batches the way
// the agent does (a window of unacknowledged batches, resent after every reconnect). What must hold: an
// ack means the records are committed; every sequence number lands exactly once — across resends, a
// dropped socket and a hub process killed with SIGKILL mid-batch; a database fault delays acks but never
// ends the session or holds up heartbeats; a malformed batch is refused and nothing of it stored.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CloseCode, LOG_BATCH_WINDOW, MAX_FRAME_BYTES, type MailLogRecord } from "@mailwarden/protocol";
import { createTestDatabase, holdMailLogTable, isMailLogInsertWaiting } from "@mailwarden/db/testing";
import {
  FakeAgent,
  createEnrolledServer,
  eventually,
  startHub,
  type EnrolledServer,
  type RunningHub,
} from "./test-support";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function hub(): Promise<RunningHub> {
  const running = await startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
  cleanups.push(() => running.stop());
  return running;
}

/** A delivery record dated now (so the hub's own retention run never touches it). */
function record(seq: number, extra: Record<string, unknown> = {}): MailLogRecord {
  return {
    seq,
    at: new Date().toISOString(),
    type: "delivery",
    direction: "inbound",
    queueId: `Q${seq}`,
    from: "sender@example.org",
    to: "bob@shop.test",
    outcome: "delivered",
    host: "maildir",
    reply: "250 ok",
    status: "2.0.0",
    attempt: 1,
    ...extra,
  } as MailLogRecord;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function seqsOf(serverId: string): Promise<number[]> {
  const rows = await db.prisma.$queryRaw<{ seq: bigint }[]>`
    SELECT "seq" FROM "MailLogRecord" WHERE "serverId" = ${serverId} ORDER BY "seq"`;
  return rows.map((row) => Number(row.seq));
}

/** Holds the log table so the hub's insert waits mid-statement; returns the release. */
async function holdLogTable(): Promise<() => Promise<void>> {
  const release = await holdMailLogTable(db.url);
  cleanups.push(release);
  return release;
}

const isInsertWaiting = () => isMailLogInsertWaiting(db.prisma);

async function heartbeatAnswered(agent: FakeAgent): Promise<void> {
  agent.send({ type: "agent.heartbeat", sentAt: new Date().toISOString() });
  await agent.next("hub.heartbeat.ack", 2000);
}

describe("storing and acknowledging", () => {
  it("acks a batch with what it stored, after it is committed, and a resent batch stores nothing again", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server);
    // A resend carries the very same records (the agent's spool), times included.
    const records = range(1, 6).map((seq) => record(seq));
    agent.send({ type: "agent.logs", batch: 1, records: records.slice(0, 3) });
    expect(await agent.next("hub.logs.ack")).toEqual({ type: "hub.logs.ack", batch: 1, stored: 3 });
    // The ack came after the commit: another connection sees the rows at once.
    expect(await seqsOf(server.serverId)).toEqual([1, 2, 3]);

    agent.send({ type: "agent.logs", batch: 1, records: records.slice(0, 3) });
    expect(await agent.next("hub.logs.ack")).toMatchObject({ batch: 1, stored: 0 });
    agent.send({ type: "agent.logs", batch: 2, records: records.slice(1) });
    expect(await agent.next("hub.logs.ack")).toMatchObject({ batch: 2, stored: 3 });
    expect(await seqsOf(server.serverId)).toEqual(range(1, 6));
    await agent.close();
  });

  it("stores one connection's batches in order, stamps the server's tenant and only its own domains", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const other = await createEnrolledServer(db.prisma);
    const stamp = Date.now().toString(36);
    const own = await db.prisma.domain.create({
      data: { name: `own-${stamp}.test`, tenantId: server.tenantId },
    });
    const foreign = await db.prisma.domain.create({
      data: { name: `foreign-${stamp}.test`, tenantId: other.tenantId },
    });
    const agent = await FakeAgent.session(url, server);
    for (let batch = 1; batch <= LOG_BATCH_WINDOW; batch++) {
      const domain = batch % 2 ? own.name : foreign.name;
      agent.send({
        type: "agent.logs",
        batch,
        records: range(batch * 10, batch * 10 + 9).map((seq) => record(seq, { domain })),
      });
    }
    const acks = [];
    for (let i = 0; i < LOG_BATCH_WINDOW; i++) acks.push((await agent.next("hub.logs.ack")).batch);
    expect(acks).toEqual(range(1, LOG_BATCH_WINDOW));
    const rows = await db.prisma.$queryRaw<{ seq: bigint; tenantId: string; domainId: string | null }[]>`
      SELECT "seq", "tenantId", "domainId" FROM "MailLogRecord" WHERE "serverId" = ${server.serverId}
       ORDER BY "receivedAt", "seq"`;
    expect(rows.map((row) => Number(row.seq))).toEqual(range(10, 10 * LOG_BATCH_WINDOW + 9));
    expect(new Set(rows.map((row) => row.tenantId))).toEqual(new Set([server.tenantId]));
    expect(rows.filter((row) => row.domainId === own.id)).toHaveLength(20);
    expect(rows.filter((row) => row.domainId === null)).toHaveLength(20);
    await agent.close();
  });
});

describe("a slow or failing database", () => {
  it("acks nothing before the commit, keeps answering heartbeats, and acks once the insert went through", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, {}, { isBeating: false });
    // The day's partition exists already, so the batch below waits on its insert, mid-transaction.
    agent.send({ type: "agent.logs", batch: 1, records: [record(1)] });
    await agent.next("hub.logs.ack");
    const release = await holdLogTable();
    agent.send({ type: "agent.logs", batch: 2, records: [record(2)] });
    await eventually(isInsertWaiting);
    await heartbeatAnswered(agent);
    await heartbeatAnswered(agent);
    expect(agent.sent("hub.logs.ack")).toEqual([]);
    await release();
    expect(await agent.next("hub.logs.ack")).toMatchObject({ batch: 2, stored: 1 });
    expect(await seqsOf(server.serverId)).toEqual([1, 2]);
    await agent.close();
  });

  it("keeps the session while Postgres refuses the inserts, and acks once it takes them", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server, {}, { isBeating: false });
    await db.prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION injected_log_fault() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql`);
    await db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER injected_log_fault BEFORE INSERT ON "MailLogRecord"
         FOR EACH ROW EXECUTE FUNCTION injected_log_fault()`,
    );
    const restore = () =>
      db.prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS injected_log_fault ON "MailLogRecord"`);
    cleanups.push(restore);
    agent.send({ type: "agent.logs", batch: 7, records: [record(1), record(2)] });
    await new Promise((resolve) => setTimeout(resolve, 800));
    await heartbeatAnswered(agent);
    expect(agent.sent("hub.logs.ack")).toEqual([]);
    expect(agent.ws.readyState).toBe(WebSocket.OPEN);
    await restore();
    expect(await agent.next("hub.logs.ack", 15_000)).toMatchObject({ batch: 7, stored: 2 });
    expect(await seqsOf(server.serverId)).toEqual([1, 2]);
    await agent.close();
  }, 30_000);
});

describe("batches the hub refuses", () => {
  const cases: [string, (server: EnrolledServer) => unknown, RegExp][] = [
    [
      "records out of sequence order",
      () => ({ type: "agent.logs", batch: 1, records: [record(2), record(1)] }),
      /increasing sequence order/,
    ],
    [
      "more records than a batch may carry",
      () => ({ type: "agent.logs", batch: 1, records: range(1, 501).map((seq) => record(seq)) }),
      /records/,
    ],
    [
      "a record that is not a mail-log record",
      () => ({ type: "agent.logs", batch: 1, records: [record(1), { ...record(2), type: "made.up" }] }),
      /records/,
    ],
  ];
  for (const [name, frame, reason] of cases) {
    it(`closes with 4000 and a reason, and stores nothing, for ${name}`, async () => {
      const { url } = await hub();
      const server = await createEnrolledServer(db.prisma);
      const agent = await FakeAgent.session(url, server);
      agent.send(frame(server) as { type: string });
      const closed = await agent.closed;
      expect(closed.code).toBe(CloseCode.badFrame);
      expect(closed.reason).toMatch(reason);
      expect(await seqsOf(server.serverId)).toEqual([]);
    });
  }

  it("cuts a frame larger than the protocol allows and stores nothing of it", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server);
    const huge = "x".repeat(990);
    const records = range(1, 500).map((seq) => record(seq, { reply: huge, messageId: huge }));
    const text = JSON.stringify({ type: "agent.logs", batch: 1, records });
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_FRAME_BYTES);
    agent.sendRaw(text);
    expect((await agent.closed).code).toBe(1009);
    expect(await seqsOf(server.serverId)).toEqual([]);
  });

  it("refuses an agent that sends more batches than the window without waiting for acks", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const agent = await FakeAgent.session(url, server);
    const release = await holdLogTable();
    for (let batch = 1; batch <= LOG_BATCH_WINDOW + 1; batch++) {
      agent.send({ type: "agent.logs", batch, records: [record(batch)] });
    }
    const closed = await agent.closed;
    expect(closed).toMatchObject({ code: CloseCode.badFrame });
    expect(closed.reason).toMatch(/without waiting for an ack/);
    await release();
  });
});

/**
 * Ships records 1..total in batches the way the agent does: at most the window unacknowledged, each
 * forgotten only on its ack, all unacknowledged ones resent (in order) on every new connection.
 */
class Shipper {
  private readonly unacked = new Map<number, MailLogRecord[]>();
  private nextSeq = 1;
  private agent: FakeAgent | null = null;
  acks = 0;
  ackedRecords = 0;

  constructor(
    private readonly server: EnrolledServer,
    private readonly total: number,
    private readonly batchSize: number,
  ) {}

  get isDone(): boolean {
    return this.nextSeq > this.total && this.unacked.size === 0;
  }

  async connect(url: string): Promise<FakeAgent> {
    const agent = await FakeAgent.session(url, this.server);
    this.agent = agent;
    agent.ws.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { type: string; batch?: number };
      if (message.type !== "hub.logs.ack" || message.batch === undefined) return;
      const records = this.unacked.get(message.batch);
      if (records && this.unacked.delete(message.batch)) {
        this.acks++;
        this.ackedRecords += records.length;
      }
      this.pump(agent);
    });
    for (const [batch, records] of this.unacked) agent.send({ type: "agent.logs", batch, records });
    this.pump(agent);
    return agent;
  }

  private pump(agent: FakeAgent): void {
    while (
      this.agent === agent &&
      agent.ws.readyState === WebSocket.OPEN &&
      this.unacked.size < LOG_BATCH_WINDOW &&
      this.nextSeq <= this.total
    ) {
      const last = Math.min(this.total, this.nextSeq + this.batchSize - 1);
      const records = range(this.nextSeq, last).map((seq) => record(seq));
      this.unacked.set(this.nextSeq, records);
      agent.send({ type: "agent.logs", batch: this.nextSeq, records });
      this.nextSeq = last + 1;
    }
  }
}

async function expectEachOnce(serverId: string, total: number): Promise<void> {
  const seqs = await seqsOf(serverId);
  expect(seqs.length).toBe(total);
  expect(seqs).toEqual(range(1, total));
}

describe("exactly once", () => {
  it("stores every record once when the socket drops with batches in flight and the agent resends", async () => {
    const { url } = await hub();
    const server = await createEnrolledServer(db.prisma);
    const shipper = new Shipper(server, 3000, 100);
    const first = await shipper.connect(url);
    await eventually(async () => shipper.acks >= 3);
    // Inserts now wait mid-transaction; the socket goes while they do, then the database moves on.
    const release = await holdLogTable();
    await eventually(isInsertWaiting);
    first.ws.terminate();
    await release();
    // The batch that was waiting commits, but its ack has no socket to go to: the resend must not add it.
    await eventually(async () => (await seqsOf(server.serverId)).length > shipper.ackedRecords);
    await shipper.connect(url);
    await eventually(async () => shipper.isDone, 20_000);
    await expectEachOnce(server.serverId, 3000);
  }, 40_000);

  it("stores every record once across a hub process killed mid-batch (twice) and restarted", async () => {
    const server = await createEnrolledServer(db.prisma);
    const shipper = new Shipper(server, 6000, 200);

    // First kill: deterministic — the hub is inside a transaction whose insert waits on a lock.
    let child = await startHubProcess();
    await shipper.connect(child.url);
    await eventually(async () => shipper.acks >= 3, 15_000);
    const release = await holdLogTable();
    await eventually(isInsertWaiting);
    child.kill();
    await release();

    // Second kill: while batches stream, wherever the hub happens to be (commit done, ack unsent…).
    child = await startHubProcess();
    const acksBefore = shipper.acks;
    await shipper.connect(child.url);
    await eventually(async () => shipper.acks >= acksBefore + 4, 15_000);
    child.kill();

    child = await startHubProcess();
    await shipper.connect(child.url);
    await eventually(async () => shipper.isDone, 30_000);
    await child.stop();
    await expectEachOnce(server.serverId, 6000);
  }, 120_000);
});

describe("retention", () => {
  it("drops a day older than the retention setting when a hub starts, nothing younger, and prepares tomorrow", async () => {
    const old = new Date(Date.now() - 40 * 86_400_000);
    const oldDay = old.toISOString().slice(0, 10);
    const young = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const nameOf = (day: string) => `MailLogRecord_${day.replaceAll("-", "")}`;
    for (const day of [oldDay, young]) {
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
      await db.prisma.$executeRawUnsafe(
        `CREATE TABLE IF NOT EXISTS "${nameOf(day)}" PARTITION OF "MailLogRecord"
           FOR VALUES FROM ('${day}T00:00:00Z') TO ('${next}')`,
      );
    }
    await hub();
    const exists = async (name: string) =>
      (
        await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM pg_class WHERE relname = ${name}`
      )[0]!.n > 0n;
    await eventually(async () => !(await exists(nameOf(oldDay))));
    expect(await exists(nameOf(young))).toBe(true);
    // And the days to come are ready before their first record.
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await eventually(async () => (await exists(nameOf(today))) && (await exists(nameOf(tomorrow))));
  });
});

interface HubProcess {
  url: string;
  kill(): void;
  stop(): Promise<void>;
}

const hubScript = path.join(import.meta.dirname, "log-ingest-hub-process.ts");

async function startHubProcess(): Promise<HubProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", hubScript, db.url], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, "SIGKILL");
  };
  cleanups.push(async () => {
    kill();
    await exited;
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the hub process did not start within 30 s")), 30_000);
    lines.on("line", (line) => {
      try {
        const parsed = JSON.parse(line) as { url?: string };
        if (parsed.url) {
          clearTimeout(timer);
          resolve(parsed.url);
        }
      } catch {
        // not ours
      }
    });
    child.once("exit", (code) => reject(new Error(`the hub process exited (${code}) before listening`)));
  });
  return {
    url,
    kill,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(child.pid, "SIGTERM");
      await exited;
    },
  };
}
