// Shipping the spool over the real hub client to a real (tiny) hub on loopback: batches within the
// window, acknowledgements that delete, acknowledgements held back and a dropped socket — and every
// sequence number counted at the end: none lost, none stored twice.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOG_BATCH_WINDOW, MAX_LOG_BATCH_RECORDS, type MailLogEvent } from "@mailwarden/protocol";
import { HubClient } from "../hub/hub-client";
import { silentLogger } from "../log";
import { AGENT_ID, AGENT_SECRET, FakeHub } from "../test-support/fake-hub";
import { tempDir, waitFor } from "../test-support/fixtures";
import { LogShipper } from "./shipper";
import { MailLogSpool } from "./spool";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: { logAcks: boolean; segmentBytes?: number }) {
  const hub = await FakeHub.start({ logAcks: options.logAcks, heartbeatIntervalMs: 50 });
  const state = await tempDir("mw-shipper-");
  cleanups.push(state.remove, () => hub.close());
  const dir = path.join(state.dir, "mail-log");
  // the 1 s fdatasync tick is the spool tests' business; here it only paces shipping
  const spool = await MailLogSpool.open({
    dir,
    logger: silentLogger(),
    syncIntervalMs: 10,
    segmentBytes: options.segmentBytes,
  });
  const shipper = new LogShipper({ spool, logger: silentLogger() });
  const client = new HubClient({
    credential: { hubUrl: hub.url, agentId: AGENT_ID, secret: AGENT_SECRET },
    hostname: "mx.agent.test",
    agentVersion: "0.1.0",
    logger: silentLogger(),
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    postureEvery: 1000,
    getAppliedRevision: () => null,
    applyConfig: (revision) => Promise.resolve({ ok: false, revision, errors: ["not in this test"] }),
    getPosture: () => Promise.reject(new Error("no posture in this test")),
    mailLog: shipper,
  });
  cleanups.push(
    () => spool.close(),
    () => client.stop(),
  );
  void client.start();
  return { hub, spool, shipper, client, dir };
}

function applied(revision: number): MailLogEvent {
  return { type: "policy.applied", at: new Date().toISOString(), revision };
}

async function recordMany(spool: MailLogSpool, from: number, to: number): Promise<void> {
  const all: Promise<void>[] = [];
  for (let revision = from; revision <= to; revision += 1) all.push(spool.record(applied(revision)));
  await Promise.all(all);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Frames on one socket arrive in order: once a heartbeat sent after now is in, so is anything before it. */
async function nextHeartbeat(hub: FakeHub): Promise<void> {
  const seen = hub.messages("agent.heartbeat").length;
  await waitFor(() => hub.messages("agent.heartbeat").length > seen, 5000, "a heartbeat");
}

describe("shipping the mail log", () => {
  it("sends batches of at most 500 with at most 4 unacknowledged, and acknowledged records leave the spool", async () => {
    const { hub, spool, shipper, dir } = await setup({ logAcks: false, segmentBytes: 32 * 1024 });
    const total = 2600;
    await recordMany(spool, 1, total);
    await waitFor(() => hub.heldLogBatches.length === LOG_BATCH_WINDOW, 5000, "a full window");
    // more records and an fdatasync wake the shipper, but the window is full: nothing more goes out
    await recordMany(spool, total + 1, total + 50);
    await spool.sync();
    await nextHeartbeat(hub);
    expect(hub.heldLogBatches.length).toBe(LOG_BATCH_WINDOW);
    expect(shipper.inFlight).toBe(LOG_BATCH_WINDOW);
    expect(hub.heldLogBatches.map((held) => held.records.length)).toEqual([500, 500, 500, 500]);

    // one acknowledgement, one more batch
    hub.ackLogBatches(1);
    await waitFor(() => hub.messages("agent.logs").length === LOG_BATCH_WINDOW + 1, 5000, "the fifth batch");
    const segmentsBefore = spool.segmentCount;
    await waitFor(() => {
      hub.ackLogBatches();
      return hub.storedLogs.size === total + 50;
    });
    expect([...hub.storedLogs.keys()].sort((a, b) => a - b)).toEqual(range(1, total + 50));
    expect(hub.logRecordsReceived().length).toBe(total + 50);
    expect(hub.logsResentAfterAck).toEqual([]);
    expect(hub.messages("agent.logs").every((batch) => batch.records.length <= MAX_LOG_BATCH_RECORDS)).toBe(
      true,
    );
    // the watermark is saved, and the segments that held only acknowledged records are gone
    await waitFor(async () => {
      const saved = await readFile(path.join(dir, "acked.json"), "utf8").catch(() => "{}");
      return (JSON.parse(saved) as { ackedSeq?: number }).ackedSeq === total + 50 && spool.segmentCount <= 1;
    });
    expect(segmentsBefore).toBeGreaterThan(1);
  });

  it("after a dropped socket resends what was not acknowledged: no record lost, none stored twice", async () => {
    const { hub, spool } = await setup({ logAcks: false });
    await recordMany(spool, 1, 1200);
    await waitFor(() => hub.heldLogBatches.length === 3, 5000, "three batches");
    hub.ackLogBatches(1);
    await waitFor(() => spool.ackedSeq === 500, 5000, "the first ack to reach the agent");
    const first = hub.current!;
    first.terminate();
    hub.logAcks = true;
    await waitFor(() => hub.current && hub.current !== first, 5000, "the reconnect");
    await recordMany(spool, 1201, 1300);
    await waitFor(() => hub.storedLogs.size === 1300, 5000, "every record stored");

    expect([...hub.storedLogs.keys()].sort((a, b) => a - b)).toEqual(range(1, 1300));
    expect(hub.logsResentAfterAck).toEqual([]);
    // the two unacknowledged batches went again, from the first record after the acknowledged one
    const afterReconnect = hub.messages("agent.logs").slice(3);
    expect(afterReconnect[0]!.records[0]!.seq).toBe(501);
    expect(hub.logRecordsReceived().length).toBe(1300 + 700);
    for (const [seq, record] of hub.storedLogs) expect(record).toMatchObject({ seq, revision: seq });
  });

  it("keeps big records' batches under the frame limit", async () => {
    const { hub, spool } = await setup({ logAcks: true });
    const to = Array.from(
      { length: 1000 },
      (_, i) => `recipient-number-${i}@a-long-domain-name.example.test`,
    );
    const accepted = (n: number): MailLogEvent => ({
      type: "message.accepted",
      at: new Date().toISOString(),
      session: `s${n}`,
      listener: "inbound",
      client: "192.0.2.7",
      direction: "inbound",
      queueId: `Q${n}`,
      from: "list@example.test",
      to,
      size: 1234,
      spf: "pass",
      dkim: "pass",
      dmarc: "pass",
      arc: "none",
      folder: "inbox",
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => spool.record(accepted(i + 1))));
    await waitFor(() => hub.storedLogs.size === 40, 10_000, "every big record stored");
    // one connection throughout: the hub never had a frame to refuse
    expect(hub.connections.length).toBe(1);
    expect(hub.messages("agent.logs").length).toBeGreaterThan(1);
  });
});
