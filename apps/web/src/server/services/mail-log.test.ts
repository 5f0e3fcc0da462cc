// The mail log as console users read it, through the real tRPC router on a real Postgres: each filter
// finds what it should (an address alone is enough), keyset pages neither skip nor repeat records that
// share a timestamp, a trace follows one message across a backup MX and its delivery, gap records read as
// "missing between t1 and t2", and each user sees only what their role reaches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import type { MailLogRecord } from "@mailwarden/protocol";
import { callerFor, createTestRuntime, createUser } from "../testing";
import { storeRecords, type StoredRecord } from "../test-support/mail-log-records";
import { mailLogExportResponse } from "../mail-log-export";

let prisma: Db;
let stop: () => Promise<void>;
const ids = {} as {
  tenantA: string;
  tenantB: string;
  d1: string;
  d2: string;
  dB: string;
  mx1: string;
  mx2: string;
  mxB: string;
};
const users = {} as { provider: string; customerAdmin: string; domainAdmin: string; otherAdmin: string };

// Three hours ago, so "recent" (the last week) and the day partitions are today's.
const t0 = Math.floor(Date.now() / 1000) * 1000 - 3 * 3600_000;
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const session = { session: "s1", listener: "inbound", client: "203.0.113.9" };
const messageId = "<m1@sender.test>";

function recordsOfA(): StoredRecord[] {
  const onMx1 = (domainId: string | null, record: MailLogRecord): StoredRecord => ({
    serverId: ids.mx1,
    tenantId: ids.tenantA,
    domainId,
    record,
  });
  return [
    // The backup MX takes the message first and forwards it to mx1.
    {
      serverId: ids.mx2,
      tenantId: ids.tenantA,
      domainId: ids.d1,
      record: {
        seq: 1,
        at: at(0),
        type: "message.accepted",
        session: "b1",
        listener: "inbound",
        client: "198.51.100.7",
        direction: "inbound",
        queueId: "Q2",
        messageId,
        from: "alice@sender.test",
        to: ["bob@one.test"],
        size: 1200,
        spf: "pass",
        dkim: "pass",
        dmarc: "pass",
        arc: "none",
        folder: "inbox",
      },
    },
    {
      serverId: ids.mx2,
      tenantId: ids.tenantA,
      domainId: ids.d1,
      record: {
        seq: 2,
        at: at(1),
        type: "delivery",
        direction: "inbound",
        queueId: "Q2",
        from: "alice@sender.test",
        to: "bob@one.test",
        outcome: "delivered",
        host: "mx1.one.test",
        reply: "250 2.0.0 queued as Q1",
        status: "2.0.0",
        attempt: 1,
      },
    },
    onMx1(null, { seq: 10, at: at(2), type: "connection.opened", ...session, client: "198.51.100.7" }),
    onMx1(null, {
      seq: 11,
      at: at(2),
      type: "tls.established",
      ...session,
      client: "198.51.100.7",
      version: "TLSv1.3",
      cipher: "TLS_AES_256_GCM_SHA384",
    }),
    onMx1(ids.d1, {
      seq: 12,
      at: at(3),
      type: "rcpt.to",
      ...session,
      client: "198.51.100.7",
      from: "alice@sender.test",
      to: "bob@one.test",
      direction: "inbound",
      outcome: "accepted",
    }),
    onMx1(ids.d1, {
      seq: 13,
      at: at(4),
      type: "message.accepted",
      ...session,
      client: "198.51.100.7",
      direction: "inbound",
      queueId: "Q1",
      messageId,
      from: "alice@sender.test",
      to: ["bob@one.test"],
      size: 1300,
      spf: "pass",
      dkim: "pass",
      dmarc: "pass",
      arc: "none",
      folder: "inbox",
    }),
    // Delivery records carry the queue id only: the trace joins them through it.
    onMx1(ids.d1, {
      seq: 14,
      at: at(5),
      type: "delivery",
      direction: "inbound",
      queueId: "Q1",
      from: "alice@sender.test",
      to: "bob@one.test",
      outcome: "delivered",
      host: "maildir",
      reply: "delivered",
      status: "2.0.0",
      attempt: 1,
    }),
    // Another session: a spoofed sender refused by SPF for carol on the second domain.
    onMx1(null, { seq: 20, at: at(10), type: "connection.opened", ...session, session: "s2" }),
    onMx1(ids.d2, {
      seq: 21,
      at: at(11),
      type: "rcpt.to",
      ...session,
      session: "s2",
      from: "ceo@spoof.test",
      to: "carol@two.test",
      direction: "inbound",
      outcome: "refused",
      rule: "spf",
      code: 550,
      status: "5.7.23",
      reply: "550 5.7.23 SPF check failed",
    }),
    // The spool overflowed: 50 records lost between seq 99 and 150.
    onMx1(null, { seq: 99, at: at(20), type: "policy.applied", revision: 3 }),
    onMx1(null, {
      seq: 150,
      at: at(30),
      type: "gap",
      fromSeq: 100,
      toSeq: 149,
      reason: "spool-full",
    }),
  ];
}

/** 60 deliveries sharing one millisecond, split over two servers: the pagination test's rows. */
function burst(): StoredRecord[] {
  return Array.from({ length: 60 }, (_, i) => ({
    serverId: i % 2 ? ids.mx1 : ids.mx2,
    tenantId: ids.tenantA,
    domainId: ids.d2,
    record: {
      seq: 1000 + i,
      at: at(3600),
      type: "delivery",
      direction: "outbound",
      queueId: `B${i}`,
      from: "news@two.test",
      to: `reader${i}@far.test`,
      outcome: "delivered",
      host: "mx.far.test",
      reply: "250 ok",
      status: "2.0.0",
      attempt: 1,
    },
  }));
}

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenantA = await prisma.tenant.create({ data: { name: "Logs A", slug: "logs-a" } });
  const tenantB = await prisma.tenant.create({ data: { name: "Logs B", slug: "logs-b" } });
  ids.tenantA = tenantA.id;
  ids.tenantB = tenantB.id;
  ids.d1 = (await prisma.domain.create({ data: { tenantId: tenantA.id, name: "one.test" } })).id;
  ids.d2 = (await prisma.domain.create({ data: { tenantId: tenantA.id, name: "two.test" } })).id;
  ids.dB = (await prisma.domain.create({ data: { tenantId: tenantB.id, name: "bee.test" } })).id;
  ids.mx1 = (
    await prisma.server.create({ data: { tenantId: tenantA.id, name: "mx1", status: "ONLINE" } })
  ).id;
  ids.mx2 = (await prisma.server.create({ data: { tenantId: tenantA.id, name: "mx2-backup" } })).id;
  ids.mxB = (await prisma.server.create({ data: { tenantId: tenantB.id, name: "mx-bee" } })).id;
  const provider = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({
    data: { userId: provider.id, encryptedSecret: "x", enabledAt: new Date() },
  });
  users.provider = provider.id;
  users.customerAdmin = (
    await createUser(prisma, {
      email: "ca@a.test",
      membership: { tenantId: tenantA.id, role: "CUSTOMER_ADMIN" },
    })
  ).id;
  users.domainAdmin = (
    await createUser(prisma, {
      email: "da@a.test",
      membership: { tenantId: tenantA.id, role: "DOMAIN_ADMIN", domainIds: [ids.d1] },
    })
  ).id;
  users.otherAdmin = (
    await createUser(prisma, {
      email: "ca@b.test",
      membership: { tenantId: tenantB.id, role: "CUSTOMER_ADMIN" },
    })
  ).id;
  await storeRecords(prisma, [
    ...recordsOfA(),
    ...burst(),
    // Tenant B mails bob@one.test too: A's users must not see it, B's must.
    {
      serverId: ids.mxB,
      tenantId: ids.tenantB,
      domainId: ids.dB,
      record: {
        seq: 1,
        at: at(2),
        type: "rcpt.to",
        session: "x1",
        listener: "submission",
        client: "192.0.2.50",
        from: "boss@bee.test",
        to: "bob@one.test",
        direction: "outbound",
        outcome: "accepted",
      },
    },
  ]);
});
afterAll(async () => stop?.());

const as = (user: keyof typeof users) => callerFor(prisma, users[user]).mailLog;
const keys = (items: { serverId: string; seq: number }[]) => items.map((i) => `${i.serverId}:${i.seq}`);

describe("mail log search", () => {
  it("finds records by recipient alone, newest first, with server and domain names", async () => {
    const { items } = await as("customerAdmin").search({ recipient: "Bob@One.test", limit: 50 });
    expect(items.map((i) => [i.serverName, i.type, i.domainName])).toEqual([
      ["mx1", "delivery", "one.test"],
      ["mx1", "message.accepted", "one.test"],
      ["mx1", "rcpt.to", "one.test"],
      ["mx2-backup", "delivery", "one.test"],
      ["mx2-backup", "message.accepted", "one.test"],
    ]);
    // B's record for the same address belongs to B.
    const other = await as("otherAdmin").search({ recipient: "bob@one.test", limit: 50 });
    expect(other.items.map((i) => i.serverName)).toEqual(["mx-bee"]);
  });

  it("filters by sender, client IP, rule, outcome, direction, server, domain, time and message", async () => {
    const search = (filter: Record<string, unknown>) =>
      as("provider")
        .search({ limit: 200, ...filter })
        .then((r) => r.items.map((i) => i.seq));
    expect(await search({ sender: "ceo@spoof.test" })).toEqual([21]);
    expect(await search({ clientIp: "203.0.113.9" })).toEqual([21, 20]);
    expect(await search({ rule: "spf" })).toEqual([21]);
    expect(await search({ outcome: "rejected" })).toEqual([21]);
    expect(await search({ mailDirection: "inbound", domainId: ids.d1, serverId: ids.mx1 })).toEqual([
      14, 13, 12,
    ]);
    expect(await search({ from: new Date(at(3)), to: new Date(at(4)), serverId: ids.mx1 })).toEqual([13, 12]);
    // A Message-ID with or without its brackets, or a queue id.
    expect(await search({ message: "m1@sender.test" })).toEqual([13, 1]);
    expect(await search({ message: "Q2" })).toEqual([2, 1]);
    // What tRPC's infinite queries add to the input (their own "direction") is not a filter.
    expect(await search({ message: "Q2", direction: "forward" })).toEqual([2, 1]);
  });

  it("answers a bad address or IP with a plain message for that field", async () => {
    // The caller skips HTTP's error formatter: the field's message is the input check's issue.
    const issue = (input: Record<string, unknown>) =>
      as("provider")
        .search({ limit: 10, ...input })
        .then(
          () => null,
          (error: { code: string; cause?: { issues?: { path: string[]; message: string }[] } }) => ({
            path: error.cause?.issues?.[0]?.path,
            message: error.cause?.issues?.[0]?.message,
            code: error.code,
          }),
        );
    expect(await issue({ recipient: "bob@" })).toMatchObject({
      code: "BAD_REQUEST",
      path: ["recipient"],
      message: "Enter the recipient's full address, like bob@example.com.",
    });
    expect(await issue({ clientIp: "300.1.1.1" })).toMatchObject({
      path: ["clientIp"],
      message: "Enter an IP address, like 203.0.113.9 or 2001:db8::1.",
    });
    await expect(as("provider").search({ cursor: "garbage", limit: 10 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("pages with a keyset cursor: records sharing one timestamp are neither skipped nor repeated", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await as("provider").search({ domainId: ids.d2, limit: 7, cursor });
      seen.push(...keys(page.items));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    const all = await as("provider").search({ domainId: ids.d2, limit: 200 });
    expect(all.items).toHaveLength(61);
    expect(seen).toEqual(keys(all.items));
    expect(new Set(seen).size).toBe(61);
    expect(pages).toBe(9);
  });

  it("tails records newer than the newest shown, with the same filters", async () => {
    const tail = await as("provider").tail({ serverId: ids.mx1, since: new Date(at(3600)) });
    expect(tail.items).toHaveLength(30);
    expect(tail.items.every((i) => i.serverId === ids.mx1 && i.type === "delivery")).toBe(true);
    expect(tail.isTruncated).toBe(false);
    const none = await as("provider").tail({ recipient: "bob@one.test", since: new Date(at(3600)) });
    expect(none.items).toEqual([]);
  });
});

describe("message trace", () => {
  it("follows one message across the backup MX, its delivery and the session that handed it over", async () => {
    const trace = await as("customerAdmin").trace({ messageId: "m1@sender.test" });
    expect(trace.items.map((i) => `${i.serverName} ${i.type}`)).toEqual([
      "mx2-backup message.accepted",
      "mx2-backup delivery",
      "mx1 connection.opened",
      "mx1 tls.established",
      "mx1 rcpt.to",
      "mx1 message.accepted",
      "mx1 delivery",
    ]);
    expect(trace).toMatchObject({ messageId, sender: "alice@sender.test", servers: ["mx2-backup", "mx1"] });
    expect(trace.queueIds.sort()).toEqual(["Q1", "Q2"]);
    // From a delivery row (its queue id on its server) the same trace comes back.
    const fromRow = await as("customerAdmin").trace({ queueId: "Q1", serverId: ids.mx1 });
    expect(keys(fromRow.items)).toEqual(keys(trace.items));
  });

  it("gives another customer NOT_FOUND, and a domain admin the message without server-level records", async () => {
    await expect(as("otherAdmin").trace({ messageId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const trace = await as("domainAdmin").trace({ messageId });
    expect(trace.items.map((i) => i.type)).toEqual([
      "message.accepted",
      "delivery",
      "rcpt.to",
      "message.accepted",
      "delivery",
    ]);
  });
});

describe("tenancy", () => {
  it("a domain admin sees their domain's records only — no other domain, no server-level record", async () => {
    const { items } = await as("domainAdmin").search({ limit: 200 });
    expect(items.length).toBe(5);
    expect(items.every((i) => i.domainId === ids.d1)).toBe(true);
    await expect(as("domainAdmin").search({ domainId: ids.d2, limit: 10 })).resolves.toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it("a customer admin sees their servers' server-level records; another customer sees none of them", async () => {
    const own = await as("customerAdmin").search({ serverId: ids.mx1, limit: 200 });
    expect(own.items.some((i) => i.type === "connection.opened")).toBe(true);
    const other = await as("otherAdmin").search({ serverId: ids.mx1, limit: 200 });
    expect(other.items).toEqual([]);
    expect((await as("otherAdmin").search({ limit: 200 })).items.map((i) => i.serverName)).toEqual([
      "mx-bee",
    ]);
  });
});

describe("gaps and recent mail", () => {
  it("shows a server's gap as records missing between the times on either side", async () => {
    expect(await as("customerAdmin").serverGaps({ serverId: ids.mx1 })).toEqual([
      {
        key: `${ids.mx1}:150`,
        reportedAt: new Date(at(30)),
        from: new Date(at(20)),
        to: new Date(at(30)),
        lost: 50,
        reason: "spool-full",
      },
    ]);
    await expect(as("otherAdmin").serverGaps({ serverId: ids.mx1 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // A domain admin does not read servers.
    await expect(as("domainAdmin").serverGaps({ serverId: ids.mx1 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("lists a domain's recent refusals and deliveries", async () => {
    const recent = await as("customerAdmin").domainRecent({ domainId: ids.d2 });
    expect(recent.refusals.map((i) => i.seq)).toEqual([21]);
    expect(recent.deliveries).toHaveLength(10);
    await expect(as("otherAdmin").domainRecent({ domainId: ids.d2 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(as("domainAdmin").domainRecent({ domainId: ids.d2 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("export", () => {
  const exportAs = async (userId: string | null, query: string, pageSize = 7) => {
    const response = await mailLogExportResponse(prisma, userId, new URLSearchParams(query), pageSize);
    return {
      status: response.status,
      type: response.headers.get("Content-Type"),
      text: await response.text(),
    };
  };

  it("streams every record of the filtered set, page after page, as CSV and as NDJSON", async () => {
    const total = await prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "MailLogRecord"`;
    const csv = await exportAs(users.provider, "format=csv");
    expect(csv.status).toBe(200);
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "time,server,domain,what happened,outcome,direction,rule,sender,recipients,client ip,queue id,message id,record type,sequence",
    );
    expect(lines).toHaveLength(Number(total[0]!.n) + 1);
    expect(lines).toContainEqual(
      expect.stringContaining(
        "mx1,two.test,Refused RCPT to carol@two.test: the sender's SPF check failed (rule spf),rejected,inbound,spf,ceo@spoof.test",
      ),
    );
    const ndjson = await exportAs(users.provider, "format=ndjson&domainId=" + ids.d2, 5);
    const rows = ndjson.text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { seq: number; server: string });
    expect(ndjson.type).toContain("application/x-ndjson");
    expect(rows).toHaveLength(61);
    expect(new Set(rows.map((r) => `${r.server}:${r.seq}`)).size).toBe(61);
  });

  it("exports only what the user may see, and refuses bad filters and strangers in plain words", async () => {
    const own = await exportAs(users.domainAdmin, "format=ndjson");
    expect(own.text.trimEnd().split("\n")).toHaveLength(5);
    const other = await exportAs(users.otherAdmin, "format=ndjson&serverId=" + ids.mx1);
    expect(other).toMatchObject({ status: 200, text: "" });
    expect(await exportAs(null, "format=csv")).toMatchObject({ status: 401, text: "Please sign in.\n" });
    expect(await exportAs(users.provider, "format=csv&recipient=bob@")).toMatchObject({
      status: 400,
      text: "Enter the recipient's full address, like bob@example.com.\n",
    });
  });
});

describe("log retention", () => {
  it("is the provider's to set (1–3650 days), audited like the idle timeout", async () => {
    const people = callerFor(prisma, users.provider).people;
    expect(await people.consoleSettings()).toMatchObject({ logRetentionDays: 30 });
    await people.updateLogRetention({ logRetentionDays: 90 });
    expect(await people.consoleSettings()).toMatchObject({ logRetentionDays: 90 });
    const audit = await prisma.auditEvent.findFirst({ where: { type: "CONSOLE_SETTINGS_CHANGED" } });
    expect(audit).toMatchObject({
      summary: "Mail-log records are now kept for 90 days",
      before: { logRetentionDays: 30 },
      after: { logRetentionDays: 90 },
    });
    await expect(people.updateLogRetention({ logRetentionDays: 0 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      callerFor(prisma, users.customerAdmin).people.updateLogRetention({ logRetentionDays: 5 }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
