// The mail log's storage against a real Postgres: a batch lands once however often it is stored, rows are
// stamped with the server's tenant and only that tenant's domains, day partitions appear as records of a
// day arrive (also from two writers at once), and retention drops whole days — judged by a `now` the test
// passes in, never the wall clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MailLogRecord } from "@mailwarden/protocol";
import { createPrismaClient } from "../client";
import { createTestDatabase, type TestDatabase } from "../testing";
import { storeMailLogBatch } from "./ingest";
import { createUpcomingMailLogPartitions, listMailLogPartitions } from "./partitions";
import { dropExpiredMailLogPartitions, mailLogKeepFrom } from "./retention";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});

const NOW = new Date("2026-12-08T12:00:00.000Z");
let unique = 0;

async function server(tenantId?: string): Promise<{ serverId: string; tenantId: string }> {
  const n = unique++;
  const owner = tenantId ?? (await db.prisma.tenant.create({ data: { name: `T${n}`, slug: `t-${n}` } })).id;
  const row = await db.prisma.server.create({ data: { tenantId: owner, name: `mx${n}` } });
  return { serverId: row.id, tenantId: owner };
}

function delivery(seq: number, at: string, extra: Partial<MailLogRecord> = {}): MailLogRecord {
  return {
    seq,
    at,
    type: "delivery",
    direction: "inbound",
    queueId: `Q${seq}`,
    from: "Sender@Example.org",
    to: "Bob@Shop.Test",
    outcome: "delivered",
    host: "maildir",
    reply: "250 ok",
    status: "2.0.0",
    attempt: 1,
    ...extra,
  } as MailLogRecord;
}

const rowsOf = (serverId: string) =>
  db.prisma.$queryRaw<
    {
      seq: bigint;
      at: Date;
      tenantId: string;
      domainId: string | null;
      outcome: string | null;
      sender: string | null;
      recipients: string[];
      clientIp: string | null;
      rule: string | null;
      record: Record<string, unknown>;
    }[]
  >`SELECT * FROM "MailLogRecord" WHERE "serverId" = ${serverId} ORDER BY "seq"`;

describe("storeMailLogBatch", () => {
  it("stores a batch once however often it arrives, and only the new records of an overlapping one", async () => {
    const s = await server();
    const first = [1, 2, 3].map((seq) => delivery(seq, "2026-12-08T10:00:00Z"));
    expect(await storeMailLogBatch(db.prisma, { ...s, records: first }, { now: NOW })).toBe(3);
    expect(await storeMailLogBatch(db.prisma, { ...s, records: first }, { now: NOW })).toBe(0);
    const overlapping = [2, 3, 4, 5].map((seq) => delivery(seq, "2026-12-08T10:00:00Z"));
    expect(await storeMailLogBatch(db.prisma, { ...s, records: overlapping }, { now: NOW })).toBe(2);
    expect((await rowsOf(s.serverId)).map((row) => Number(row.seq))).toEqual([1, 2, 3, 4, 5]);
  });

  it("stamps the server's tenant, its own domains only, the outcome and lower-cased addresses", async () => {
    const s = await server();
    const other = await server();
    const own = await db.prisma.domain.create({ data: { name: `own${unique}.test`, tenantId: s.tenantId } });
    const foreign = await db.prisma.domain.create({
      data: { name: `foreign${unique}.test`, tenantId: other.tenantId },
    });
    const records: MailLogRecord[] = [
      delivery(1, "2026-12-08T10:00:00Z", { domain: own.name.toUpperCase() }),
      delivery(2, "2026-12-08T10:00:01Z", { domain: foreign.name }),
      {
        seq: 3,
        at: "2026-12-08T10:00:02Z",
        type: "rcpt.to",
        session: "s1",
        listener: "mx",
        client: "203.0.113.9",
        from: "X@Y.test",
        to: "Nobody@Own.test",
        direction: "inbound",
        outcome: "refused",
        rule: "rcpt.unknown-user",
        code: 550,
        status: "5.1.1",
        reply: "no such user",
      },
      {
        seq: 4,
        at: "2026-12-08T10:00:03Z",
        type: "abuse.blocked",
        kind: "ip",
        subject: "198.51.100.7",
        rule: "abuse.auth-failures",
        action: "block",
        reason: "10 failed logins",
        until: null,
      },
    ];
    expect(await storeMailLogBatch(db.prisma, { ...s, records }, { now: NOW })).toBe(4);
    const rows = await rowsOf(s.serverId);
    expect(rows.map((row) => row.tenantId)).toEqual([s.tenantId, s.tenantId, s.tenantId, s.tenantId]);
    expect(rows.map((row) => row.domainId)).toEqual([own.id, null, null, null]);
    expect(rows[0]).toMatchObject({
      outcome: "delivered",
      sender: "sender@example.org",
      recipients: ["bob@shop.test"],
    });
    expect(rows[2]).toMatchObject({
      outcome: "rejected",
      clientIp: "203.0.113.9",
      rule: "rcpt.unknown-user",
      sender: "x@y.test",
      recipients: ["nobody@own.test"],
    });
    expect(rows[3]).toMatchObject({ outcome: null, clientIp: "198.51.100.7", recipients: [] });
    // The record as the agent sent it, addresses in their own case.
    expect(rows[0]!.record).toMatchObject({ from: "Sender@Example.org", to: "Bob@Shop.Test" });
  });

  it("creates a partition for each day a batch spans, also when two writers need the same new days", async () => {
    const s = await server();
    const second = createPrismaClient(db.url);
    try {
      const days = ["2026-12-01", "2026-12-02", "2026-12-03"];
      const batch = (from: number) => days.map((day, i) => delivery(from + i, `${day}T23:59:59.999Z`));
      const counts = await Promise.all([
        storeMailLogBatch(db.prisma, { ...s, records: batch(1) }, { now: NOW }),
        storeMailLogBatch(second, { ...s, records: batch(10) }, { now: NOW }),
        storeMailLogBatch(second, { ...s, records: batch(1) }, { now: NOW }),
      ]);
      expect(counts.reduce((a, b) => a + b)).toBe(6);
    } finally {
      await second.$disconnect();
    }
    const names = (await listMailLogPartitions(db.prisma)).map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(["MailLogRecord_20261201", "MailLogRecord_20261202", "MailLogRecord_20261203"]),
    );
    const perPartition = await db.prisma.$queryRaw<{ part: string; n: bigint }[]>`
      SELECT tableoid::regclass::text AS part, count(*) AS n FROM "MailLogRecord"
       WHERE "serverId" = ${s.serverId} GROUP BY 1 ORDER BY 1`;
    expect(perPartition.map((p) => [p.part, Number(p.n)])).toEqual([
      ['"MailLogRecord_20261201"', 2],
      ['"MailLogRecord_20261202"', 2],
      ['"MailLogRecord_20261203"', 2],
    ]);
  });

  it("skips records older than the retention cut-off and files those from a clock far ahead at the receive time, once", async () => {
    const s = await server();
    const records = [
      delivery(1, "2026-10-01T10:00:00Z"), // 68 days old: its day is gone
      delivery(2, "2026-12-08T11:00:00Z"),
      delivery(3, "2026-12-09T11:59:00Z"), // less than a day ahead: its own time
      delivery(4, "2027-03-01T00:00:00Z"), // months ahead: the receive time
    ];
    expect(await storeMailLogBatch(db.prisma, { ...s, records }, { now: NOW })).toBe(3);
    const later = new Date(NOW.getTime() + 3_600_000);
    expect(await storeMailLogBatch(db.prisma, { ...s, records }, { now: later })).toBe(0);
    const rows = await rowsOf(s.serverId);
    expect(rows.map((row) => [Number(row.seq), row.at.toISOString()])).toEqual([
      [2, "2026-12-08T11:00:00.000Z"],
      [3, "2026-12-09T11:59:00.000Z"],
      [4, NOW.toISOString()],
    ]);
    expect(rows[2]!.record.at).toBe("2027-03-01T00:00:00Z");
    const names = (await listMailLogPartitions(db.prisma)).map((p) => p.name);
    expect(names).not.toContain("MailLogRecord_20261001");
    expect(names).not.toContain("MailLogRecord_20270301");
  });

  it("stores text Postgres would refuse (NUL, lone surrogates) instead of failing the batch forever", async () => {
    const s = await server();
    const record = delivery(1, "2026-12-08T10:00:00Z", {
      reply: "250 ok\u0000 \ud800",
      from: "a\u0000@b.test",
    });
    expect(await storeMailLogBatch(db.prisma, { ...s, records: [record] }, { now: NOW })).toBe(1);
    const [row] = await rowsOf(s.serverId);
    expect(row).toMatchObject({ sender: "a@b.test", record: { reply: "250 ok \ufffd" } });
  });
});

describe("createUpcomingMailLogPartitions", () => {
  it("creates today's and tomorrow's partitions ahead of the first record, harmlessly twice at once", async () => {
    const now = new Date("2026-12-30T23:30:00.000Z");
    const second = createPrismaClient(db.url);
    try {
      await Promise.all([
        createUpcomingMailLogPartitions(db.prisma, { now }),
        createUpcomingMailLogPartitions(second, { now }),
      ]);
    } finally {
      await second.$disconnect();
    }
    const names = (await listMailLogPartitions(db.prisma)).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["MailLogRecord_20261230", "MailLogRecord_20261231"]));
    expect(names).not.toContain("MailLogRecord_20270101");
  });
});

describe("dropExpiredMailLogPartitions", () => {
  it("drops only whole days older than the provider's retention, safely from two processes at once", async () => {
    const s = await server();
    const now = new Date("2027-02-20T06:00:00.000Z");
    // One record a day from 12 days back to today, stored while all of them were young enough.
    const records = Array.from({ length: 13 }, (_, i) =>
      delivery(i + 1, new Date(now.getTime() - (12 - i) * 86_400_000).toISOString()),
    );
    expect(await storeMailLogBatch(db.prisma, { ...s, records }, { now })).toBe(13);

    // The default 30 days keeps all of them.
    expect((await dropExpiredMailLogPartitions(db.prisma, { now })).dropped.filter(isFeb)).toEqual([]);

    await db.prisma.consoleSettings.upsert({
      where: { id: "provider" },
      create: { logRetentionDays: 7 },
      update: { logRetentionDays: 7 },
    });
    try {
      const keepFrom = mailLogKeepFrom(now, 7);
      expect(keepFrom.toISOString()).toBe("2027-02-13T00:00:00.000Z");
      const second = createPrismaClient(db.url);
      let results;
      try {
        results = await Promise.all([
          dropExpiredMailLogPartitions(db.prisma, { now }),
          dropExpiredMailLogPartitions(second, { now }),
        ]);
      } finally {
        await second.$disconnect();
      }
      const dropped = results
        .flatMap((r) => r.dropped)
        .filter(isFeb)
        .sort();
      expect(dropped).toEqual([
        "MailLogRecord_20270208",
        "MailLogRecord_20270209",
        "MailLogRecord_20270210",
        "MailLogRecord_20270211",
        "MailLogRecord_20270212",
      ]);
      const left = await rowsOf(s.serverId);
      // The 13th of February is kept whole, although its early hours are more than 7 days old.
      expect(left.map((row) => row.at.toISOString().slice(0, 10))).toEqual([
        "2027-02-13",
        "2027-02-14",
        "2027-02-15",
        "2027-02-16",
        "2027-02-17",
        "2027-02-18",
        "2027-02-19",
        "2027-02-20",
      ]);
      const names = (await listMailLogPartitions(db.prisma)).map((p) => p.name).filter(isFeb);
      expect(names[0]).toBe("MailLogRecord_20270213");
      // Nothing of the other tests' days (December) is left either: they are older than 7 days.
      expect((await listMailLogPartitions(db.prisma)).every((p) => p.day >= keepFrom)).toBe(true);
    } finally {
      await db.prisma.consoleSettings.delete({ where: { id: "provider" } });
    }
  });
});

function isFeb(name: string): boolean {
  return name.startsWith("MailLogRecord_202702");
}
