// Issue 13 item 7 (a): end-to-end mail-log ingest — simulated agents shipping `agent.logs` batches over
// real WebSockets through the real hub (packages/hub, in a process of its own, as the console runs it)
// into the real table — against a raw COPY of the same rows into the same table, in the same run. Turns
// alternate (hub, COPY, COPY, hub, …) with the table emptied before each, and each side's best turn counts,
// so whatever else the machine does hits both alike.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import path from "node:path";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import WebSocket from "ws";
import { createPrismaClient, type Db } from "@mailwarden/db";
import { createEnrolledServer, type EnrolledServer } from "@mailwarden/hub/testing";
import {
  LOG_BATCH_WINDOW,
  MAX_LOG_BATCH_RECORDS,
  PROTOCOL_VERSION,
  encodeFrame,
  outcomeOf,
  recipientsOf,
  type MailLogRecord,
} from "@mailwarden/protocol";

export interface IngestShape {
  agents: number;
  recordsPerAgent: number;
  turns: number;
}

export interface IngestTurn {
  side: "hub" | "copy";
  records: number;
  seconds: number;
  perSecond: number;
}

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** A day's worth of what an agent decides, in the proportions of a mail server at work. */
function recordsOf(agent: number, count: number, domain: string, start: number): MailLogRecord[] {
  const records: MailLogRecord[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const at = new Date(start + seq * 10).toISOString();
    const session = `s${agent}-${Math.floor(seq / 5)}`;
    const client = `192.0.2.${seq % 250}`;
    const to = `user${seq % 50}@${domain}`;
    const from = `sender${seq % 997}@remote${seq % 101}.example`;
    const queueId = `q${agent}-${Math.floor(seq / 5)}`;
    const base = { seq, at, domain, session, listener: "inbound", client };
    switch (seq % 5) {
      case 0:
        records.push({ ...base, type: "connection.opened" });
        break;
      case 1:
        records.push({ ...base, type: "rcpt.to", from, to, direction: "inbound", outcome: "accepted" });
        break;
      case 2:
        records.push({
          ...base,
          type: "rcpt.to",
          from,
          to,
          direction: "inbound",
          outcome: "refused",
          rule: "rcpt.spf",
          code: 550,
          status: "5.7.23",
          reply: "SPF check failed: the sender's domain does not allow this server",
        });
        break;
      case 3:
        records.push({
          ...base,
          type: "message.accepted",
          direction: "inbound",
          queueId,
          messageId: `<${queueId}@remote.example>`,
          from,
          to: [to],
          size: 4096,
          spf: "pass",
          dkim: "pass",
          dmarc: "pass",
          arc: "none",
          folder: "inbox",
        });
        break;
      default: {
        const { session: _s, listener: _l, client: _c, ...plain } = base;
        records.push({
          ...plain,
          type: "delivery",
          direction: "inbound",
          queueId,
          messageId: `<${queueId}@remote.example>`,
          from,
          to,
          outcome: "delivered",
          host: "maildir",
          reply: "250 2.0.0 stored",
          status: "2.0.0",
          attempt: 1,
        });
      }
    }
  }
  return records;
}

interface Fleet {
  servers: (EnrolledServer & { domainId: string; domain: string; records: MailLogRecord[] })[];
}

async function createFleet(prisma: Db, shape: IngestShape): Promise<Fleet> {
  const start = Date.now() - 3600_000;
  const servers: Fleet["servers"] = [];
  for (let i = 0; i < shape.agents; i++) {
    const server = await createEnrolledServer(prisma);
    const domain = `ingest${i}.bench.test`;
    const { id } = await prisma.domain.create({ data: { tenantId: server.tenantId, name: domain } });
    servers.push({
      ...server,
      domainId: id,
      domain,
      records: recordsOf(i, shape.recordsPerAgent, domain, start),
    });
  }
  return { servers };
}

/** The hub in a process of its own, on a free port; stopped by pid. */
async function startHub(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      // MW_BENCH_PROFILE_DIR=<dir>: the hub writes a .cpuprofile there (what holds the ingest back).
      ...(process.env.MW_BENCH_PROFILE_DIR
        ? ["--cpu-prof", "--cpu-prof-dir", process.env.MW_BENCH_PROFILE_DIR]
        : []),
      "--import",
      "tsx",
      path.join(repoRoot, "packages/hub/src/log-ingest-hub-process.ts"),
      databaseUrl,
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const { url } = JSON.parse(line) as { url: string };
    return { url, child };
  }
  throw new Error("the hub process ended before it listened");
}

async function stopHub(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** One agent: hello, then its batches with LOG_BATCH_WINDOW in flight, until every one is acknowledged. */
async function shipAll(url: string, server: Fleet["servers"][number]): Promise<void> {
  const frames: string[] = [];
  for (let i = 0; i < server.records.length; i += MAX_LOG_BATCH_RECORDS) {
    const records = server.records.slice(i, i + MAX_LOG_BATCH_RECORDS);
    frames.push(encodeFrame({ type: "agent.logs", batch: i / MAX_LOG_BATCH_RECORDS, records }));
  }
  const ws = new WebSocket(url);
  await once(ws, "open");
  let next = 0;
  let acked = 0;
  let beating: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    const sendMore = () => {
      while (next < frames.length && next - acked < LOG_BATCH_WINDOW) ws.send(frames[next++]!);
    };
    ws.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { type: string; heartbeatIntervalMs?: number };
      if (message.type === "hub.welcome") {
        // Beats like a real agent, so the hub keeps the session while acks wait on the database.
        beating = setInterval(
          () => ws.send(encodeFrame({ type: "agent.heartbeat", sentAt: new Date().toISOString() })),
          message.heartbeatIntervalMs,
        );
        sendMore();
      }
      if (message.type === "hub.logs.ack") {
        acked++;
        if (acked === frames.length) resolve();
        else sendMore();
      }
    });
    ws.on("close", (code, reason) => {
      clearInterval(beating);
      reject(new Error(`hub closed the socket: ${code} ${reason.toString()}`));
    });
    ws.send(
      encodeFrame({
        type: "agent.hello",
        protocolVersion: PROTOCOL_VERSION,
        agentId: server.serverId,
        secret: server.secret,
        hostname: "bench",
        agentVersion: "bench",
        appliedRevision: null,
      }),
    );
  });
  clearInterval(beating);
  ws.removeAllListeners("close");
  ws.close();
}

/** The rows as the ingest stamps them, in COPY's text format. */
function copyText(fleet: Fleet): string[] {
  const field = (value: string | null) =>
    value === null ? "\\N" : value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
  const array = (values: string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
  const chunks: string[] = [];
  for (const server of fleet.servers) {
    const lines: string[] = [];
    for (const record of server.records) {
      const text = (key: string) => {
        const value = (record as Record<string, unknown>)[key];
        return typeof value === "string" ? value : null;
      };
      lines.push(
        [
          server.serverId,
          String(record.seq),
          record.at,
          server.tenantId,
          server.domainId,
          record.type,
          outcomeOf(record),
          text("direction"),
          text("from")?.toLowerCase() ?? null,
          array(recipientsOf(record).map((a) => a.toLowerCase())),
          text("client"),
          text("rule"),
          text("queueId"),
          text("messageId"),
          text("session"),
          JSON.stringify(record),
        ]
          .map(field)
          .join("\t"),
      );
    }
    chunks.push(lines.join("\n") + "\n");
  }
  return chunks;
}

const COPY_COLUMNS = `"serverId", seq, at, "tenantId", "domainId", type, outcome, direction, sender, recipients,
  "clientIp", rule, "queueId", "messageId", session, record`;

export async function ingestTurns(
  databaseUrl: string,
  shape: IngestShape,
  log: (line: string) => void,
): Promise<IngestTurn[]> {
  const prisma = createPrismaClient(databaseUrl, { maxConnections: 2 });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const total = shape.agents * shape.recordsPerAgent;
  const turns: IngestTurn[] = [];
  try {
    const fleet = await createFleet(prisma, shape);
    const copyChunks = copyText(fleet);
    const count = async () =>
      Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "MailLogRecord"`)).rows[0]!.n);
    const hub = await startHub(databaseUrl);
    try {
      // The day's partition exists before either side is timed (the ingest creates it on first use).
      await Promise.all(fleet.servers.slice(0, 1).map((server) => shipAll(hub.url, server)));
      for (let turn = 0; turn < shape.turns * 2; turn++) {
        const side: IngestTurn["side"] = [0, 3].includes(turn % 4) ? "hub" : "copy";
        await client.query(`TRUNCATE "MailLogRecord"`);
        await client.query(`CHECKPOINT`);
        const started = performance.now();
        if (side === "hub") {
          await Promise.all(fleet.servers.map((server) => shipAll(hub.url, server)));
        } else {
          const stream = client.query(copyFrom(`COPY "MailLogRecord" (${COPY_COLUMNS}) FROM STDIN`));
          await pipeline(Readable.from(copyChunks), stream);
        }
        const seconds = (performance.now() - started) / 1000;
        const stored = await count();
        if (stored !== total) throw new Error(`${side} turn stored ${stored} records, expected ${total}`);
        const result = { side, records: total, seconds, perSecond: total / seconds };
        log(
          `ingest ${side}: ${total.toLocaleString("en")} records in ${seconds.toFixed(2)} s = ${Math.round(result.perSecond).toLocaleString("en")}/s`,
        );
        turns.push(result);
      }
    } finally {
      await stopHub(hub.child);
    }
    await client.query(`TRUNCATE "MailLogRecord"`);
    return turns;
  } finally {
    await client.end().catch(() => {});
    await prisma.$disconnect();
  }
}
