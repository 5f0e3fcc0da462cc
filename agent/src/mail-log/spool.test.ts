// The spool against real files: numbering across restarts, one write per event-loop turn with the
// fdatasync a second later (fake timers), a torn tail, the size cap and its gap record, a failing disk
// that never holds mail up, and row 23's levels.
import { appendFile, mkdir, readdir, readFile, stat, truncate, unlink } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MailLogEvent, MailLogRecord } from "@mailwarden/protocol";
import { writeAll } from "../queue/durable-files";
import { silentLogger } from "../log";
import { tempDir } from "../test-support/fixtures";
import { MailLogSpool, type MailLogLevels, type MailLogSpoolOptions } from "./spool";

const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  // setImmediate stays real: it is the spool's "end of this event-loop turn"
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()!();
});

async function spoolDir(): Promise<string> {
  const dir = await tempDir("mw-spool-");
  cleanups.push(dir.remove);
  return path.join(dir.dir, "mail-log");
}

async function openSpool(dir: string, options: Partial<MailLogSpoolOptions> = {}): Promise<MailLogSpool> {
  const spool = await MailLogSpool.open({ dir, logger: silentLogger(), ...options });
  cleanups.push(() => spool.close());
  return spool;
}

function applied(revision: number): MailLogEvent {
  return { type: "policy.applied", at: new Date().toISOString(), revision };
}

function rcpt(outcome: "accepted" | "refused"): MailLogEvent {
  return {
    type: "rcpt.to",
    at: new Date().toISOString(),
    session: "s1",
    listener: "inbound",
    client: "192.0.2.1",
    from: "a@example.test",
    to: "b@example.test",
    direction: "inbound",
    outcome,
    ...(outcome === "refused" ? { rule: "rcpt.unknown", code: 550, status: "5.1.1", reply: "no" } : {}),
  };
}

/** Every shippable record, after an fdatasync. */
async function shippable(spool: MailLogSpool): Promise<MailLogRecord[]> {
  await spool.sync();
  const records = await spool.readAfter(0, 100_000, 1 << 30);
  return records.map((record) => JSON.parse(record.json.toString()) as MailLogRecord);
}

/** Lets real I/O (an fdatasync can take a while) finish while the timers are fake. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}

describe("mail log spool", () => {
  it("numbers records 1, 2, 3… and goes on from there after a restart, also once acknowledgements emptied it", async () => {
    const dir = await spoolDir();
    const first = await openSpool(dir);
    await Promise.all([1, 2, 3].map((revision) => first.record(applied(revision))));
    expect((await shippable(first)).map((r) => r.seq)).toEqual([1, 2, 3]);
    await first.close();

    const second = await openSpool(dir);
    await second.record(applied(4));
    const records = await shippable(second);
    expect(records.map((r) => [r.seq, r.type === "policy.applied" && r.revision])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    // the hub stores them all; the spool empties and still remembers where it was
    second.acknowledge(4);
    await second.close();
    const third = await openSpool(dir);
    expect(third.segmentCount).toBe(0);
    expect(await shippable(third)).toEqual([]);
    await third.record(applied(5));
    expect((await shippable(third)).map((r) => r.seq)).toEqual([5]);
    expect(JSON.parse(await readFile(path.join(dir, "acked.json"), "utf8"))).toEqual({ ackedSeq: 4 });
  });

  it("deletes acknowledged records: older segments at once, the newest too once it is big enough", async () => {
    const dir = await spoolDir();
    const spool = await openSpool(dir, { segmentBytes: 4096 });
    for (let i = 1; i <= 200; i += 1) await spool.record(applied(i));
    expect(spool.segmentCount).toBeGreaterThan(3);
    spool.acknowledge(150);
    await until(() => spool.segmentCount <= 2, "the acknowledged segments to go");
    expect((await shippable(spool)).map((r) => r.seq)).toEqual(range(151, 200));
    spool.acknowledge(200);
    const spoolFiles = async () => (await readdir(dir)).filter((name) => name.endsWith(".spool"));
    await until(async () => (await spoolFiles()).length === 0, "the last segment to go");
    expect(spool.segmentCount).toBe(0);
    await spool.record(applied(201));
    expect(await shippable(spool)).toMatchObject([{ seq: 201, revision: 201 }]);
  });

  it("writes one event-loop turn's records in one write, resolves before any fdatasync, and syncs 1 s later", async () => {
    const dir = await spoolDir();
    const spool = await openSpool(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => spool.record(applied(i + 1))));
    expect(spool.stats).toMatchObject({ records: 50, writes: 1, syncs: 0 });
    // written (a kill -9 keeps it) but not yet shipped: only synced records go to the hub
    expect(await spool.readAfter(0, 500, 1 << 20)).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(spool.stats.syncs).toBe(0);
    vi.advanceTimersByTime(1);
    await until(() => spool.stats.syncs === 1, "the fdatasync");
    expect((await spool.readAfter(0, 500, 1 << 20)).length).toBe(50);
    // the next turn's records are a second write, and get their own fdatasync a second later
    await spool.record(applied(51));
    expect(spool.stats).toMatchObject({ records: 51, writes: 2, syncs: 1 });
    vi.advanceTimersByTime(1000);
    await until(() => spool.stats.syncs === 2, "the second fdatasync");
  });

  it("stops at a torn tail and reuses no number that was shipped", async () => {
    const dir = await spoolDir();
    const first = await openSpool(dir);
    await Promise.all([1, 2, 3, 4, 5].map((revision) => first.record(applied(revision))));
    await first.close();
    const [segment] = await readdir(dir).then((names) => names.filter((name) => name.endsWith(".spool")));
    const file = path.join(dir, segment!);
    // the last record's write was cut short by a crash, and some garbage follows it
    await truncate(file, (await stat(file)).size - 7);
    await appendFile(file, Buffer.from([0xff, 0xff, 0, 0, 1, 2]));

    const second = await openSpool(dir);
    expect((await shippable(second)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    await second.record(applied(6));
    const records = await shippable(second);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records.at(-1)).toMatchObject({ type: "policy.applied", revision: 6 });
  });

  it("when full drops the oldest segments and says exactly which numbers went in a gap record", async () => {
    const dir = await spoolDir();
    const maxBytes = 16 * 1024;
    const spool = await openSpool(dir, { maxBytes, segmentBytes: 2 * 1024 });
    await spool.record(applied(1));
    spool.acknowledge(1); // the hub has the first one: it is not lost when its segment goes
    let revision = 2;
    while (spool.stats.gaps === 0) await spool.record(applied(revision++));
    // the first drop: one gap naming 2 (1 was acknowledged) up to the record before the oldest kept one
    const afterFirstDrop = await shippable(spool);
    const [gap, ...others] = afterFirstDrop.filter((r) => r.type === "gap");
    expect(others).toEqual([]);
    expect(gap).toMatchObject({ type: "gap", fromSeq: 2, reason: "spool-full" });
    expect(afterFirstDrop[0]!.seq).toBe((gap as { toSeq: number }).toSeq + 1);

    while (revision <= 400) await spool.record(applied(revision++));
    expect(spool.bytes).toBeLessThanOrEqual(maxBytes + 2 * 1024);
    const records = await shippable(spool);
    const gaps = records.filter((r) => r.type === "gap");
    expect(gaps.every((g) => g.reason === "spool-full")).toBe(true);
    // every number from 2 on is either still here or named by exactly one gap record, never both
    const named = gaps.flatMap((g) => range(g.fromSeq, g.toSeq));
    const present = records.map((r) => r.seq);
    expect([...named, ...present].sort((a, b) => a - b)).toEqual(range(2, spool.nextSeq - 1));
  });

  it("drops records a failing disk cannot take without holding mail up, and records a gap once it writes again", async () => {
    const dir = await spoolDir();
    let isFailing = false;
    const spool = await openSpool(dir, {
      write: (handle, pieces, position) => {
        if (isFailing) return Promise.reject(Object.assign(new Error("no space left"), { code: "ENOSPC" }));
        return writeAll(handle, pieces, position);
      },
    });
    await Promise.all([1, 2, 3].map((revision) => spool.record(applied(revision))));
    isFailing = true;
    // resolved (the SMTP reply is not held) although nothing reached the disk
    await Promise.all([spool.record(applied(4)), spool.record(applied(5))]);
    await spool.record(applied(6));
    isFailing = false;
    await spool.record(applied(7));
    const records = await shippable(spool);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 7, 8]);
    expect(records[3]).toMatchObject({ type: "policy.applied", revision: 7 });
    expect(records[4]).toMatchObject({ type: "gap", fromSeq: 4, toSeq: 6, reason: "write-failed" });
  });

  it("does not hold replies for a disk that hangs, writes what waited once it answers, and names what could not wait", async () => {
    const dir = await spoolDir();
    let release: (() => void) | null = null;
    const spool = await openSpool(dir, {
      write: async (handle, pieces, position) => {
        if (release === null) await new Promise<void>((resolve) => (release = resolve));
        await writeAll(handle, pieces, position);
      },
      maxWaitingBytes: 150, // three records
    });
    let isAnswered = false;
    const first = spool.record(applied(1)).then(() => (isAnswered = true));
    await until(() => release !== null, "the write to start");
    vi.advanceTimersByTime(1999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(isAnswered).toBe(false);
    vi.advanceTimersByTime(1);
    await first;
    // while the disk still hangs, new records are answered at once; beyond what may wait, they are dropped
    await Promise.all([2, 3, 4, 5].map((revision) => spool.record(applied(revision))));
    release!();
    await until(() => spool.stats.gaps === 1, "the writes to finish");
    const records = await shippable(spool);
    expect(records.map((r) => [r.seq, r.type === "policy.applied" ? r.revision : r.type])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [6, "gap"],
    ]);
    expect(records[4]).toMatchObject({ fromSeq: 5, toSeq: 5, reason: "write-failed" });
  });

  it("writes a failed write's gap a second later even when nothing else is recorded", async () => {
    const dir = await spoolDir();
    let isFailing = true;
    const spool = await openSpool(dir, {
      write: (handle, pieces, position) =>
        isFailing ? Promise.reject(new Error("EIO")) : writeAll(handle, pieces, position),
    });
    await Promise.all([spool.record(applied(1)), spool.record(applied(2))]);
    isFailing = false;
    vi.advanceTimersByTime(1000);
    await until(() => spool.stats.gaps === 1, "the gap record");
    expect(await shippable(spool)).toMatchObject([{ seq: 3, type: "gap", fromSeq: 1, toSeq: 2 }]);
  });

  it("names numbers missing at start (a segment gone without its gap record) with a gap", async () => {
    const dir = await spoolDir();
    const first = await openSpool(dir, { segmentBytes: 256 });
    for (let i = 1; i <= 9; i += 1) await first.record(applied(i));
    await first.close();
    const segments = (await readdir(dir)).filter((name) => name.endsWith(".spool")).sort();
    expect(segments.length).toBeGreaterThan(2);
    const secondSegment = await readFile(path.join(dir, segments[1]!));
    const lost = [...secondSegment.toString("latin1").matchAll(/\{"seq":(\d+),/g)].map((m) => Number(m[1]));
    await unlink(path.join(dir, segments[1]!));

    const second = await openSpool(dir);
    const records = await shippable(second);
    expect(records.at(-1)).toMatchObject({
      seq: 10,
      type: "gap",
      fromSeq: lost[0],
      toSeq: lost.at(-1),
      reason: "write-failed",
    });
    expect(records.filter((r) => r.type === "policy.applied").length).toBe(9 - lost.length);
  });

  it("does not call numbers lost that precede the spool when its watermark file is gone", async () => {
    const dir = await spoolDir();
    const first = await openSpool(dir, { segmentBytes: 256 });
    for (let i = 1; i <= 9; i += 1) await first.record(applied(i));
    first.acknowledge(4);
    await first.close();
    await unlink(path.join(dir, "acked.json"));
    const second = await openSpool(dir);
    const records = await shippable(second);
    // sent again from the oldest segment kept (the hub stores each once), no gap, numbering goes on
    expect(records.some((r) => r.type === "gap")).toBe(false);
    expect(records.at(-1)!.seq).toBe(9);
    await second.record(applied(10));
    expect((await shippable(second)).at(-1)).toMatchObject({ seq: 10, revision: 10 });
  });

  it("opens even when a segment cannot be read, and goes on numbering", async () => {
    const dir = await spoolDir();
    const first = await openSpool(dir);
    await first.record(applied(1));
    await first.close();
    // not a file one can read records from
    await mkdir(path.join(dir, "0000000002.spool"));
    const second = await openSpool(dir);
    await second.record(applied(2));
    expect((await shippable(second)).map((r) => r.seq)).toEqual([1, 2]);
  });

  it("follows row 23: off records nothing, normal only what went wrong, detailed everything", async () => {
    const dir = await spoolDir();
    const levels: MailLogLevels = { smtpLogLevel: "off", deliveryLogLevel: "detailed" };
    const spool = await openSpool(dir, { levels: () => levels });
    await spool.record(rcpt("refused"));
    levels.smtpLogLevel = "normal";
    await spool.record(rcpt("accepted"));
    await spool.record(rcpt("refused"));
    levels.smtpLogLevel = "detailed";
    await spool.record(rcpt("accepted"));
    // policy and gap records are kept whatever the levels say
    levels.smtpLogLevel = "off";
    levels.deliveryLogLevel = "off";
    await spool.record(applied(3));
    const records = await shippable(spool);
    expect(records.map((r) => [r.type, "outcome" in r ? r.outcome : null])).toEqual([
      ["rcpt.to", "refused"],
      ["rcpt.to", "accepted"],
      ["policy.applied", null],
    ]);
    expect(spool.stats.filtered).toBe(2);
  });

  it("refuses a record the hub would refuse, and keeps going", async () => {
    const dir = await spoolDir();
    const spool = await openSpool(dir);
    await spool.record({ ...applied(1), revision: 1.5 } as MailLogEvent);
    await spool.record(applied(2));
    // a number of its own is no business of a component: the spool's wins
    await spool.record({ ...applied(3), seq: 99 } as unknown as MailLogEvent);
    expect(await shippable(spool)).toMatchObject([
      { seq: 1, revision: 2 },
      { seq: 2, revision: 3 },
    ]);
    expect(spool.stats.invalid).toBe(1);
  });

  it("reads in batches after a given number, up to a count and a byte budget", async () => {
    const dir = await spoolDir();
    const spool = await openSpool(dir, { segmentBytes: 1024 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => spool.record(applied(i + 1))));
    for (let i = 101; i <= 120; i += 1) await spool.record(applied(i));
    await spool.sync();
    const seqs: number[] = [];
    let after = 0;
    for (;;) {
      const batch = await spool.readAfter(after, 7, 1 << 20);
      if (batch.length === 0) break;
      expect(batch.length).toBeLessThanOrEqual(7);
      seqs.push(...batch.map((r) => r.seq));
      after = batch.at(-1)!.seq;
    }
    expect(seqs).toEqual(range(1, 120));
    const small = await spool.readAfter(0, 500, 200);
    expect(small.length).toBeGreaterThan(0);
    expect(small.length).toBeLessThan(10);
    // the budget is the batch's JSON with its commas (one record alone may be bigger)
    expect(small.reduce((sum, record) => sum + record.json.length + 1, 0)).toBeLessThanOrEqual(200);
    expect(await spool.readAfter(0, 500, 10)).toHaveLength(1);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
