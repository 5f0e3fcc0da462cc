// The mail log's searches keep to its indexes: on a few thousand records over several days, servers and
// domains, each search the Logs page offers plans as index scans on every day's partition, never a scan of
// whole partitions — so they stay fast at millions of records (bench/ measures that).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, Prisma } from "@mailwarden/db";
import type { MailLogRecord } from "@mailwarden/protocol";
import type { Actor } from "../access";
import { createTestRuntime } from "../testing";
import { storeRecords, type StoredRecord } from "../test-support/mail-log-records";
import { searchSql } from "./mail-log";

let prisma: Db;
let stop: () => Promise<void>;
const ids = { tenants: [] as string[], domains: [] as string[], servers: [] as string[] };

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  for (let t = 0; t < 4; t++) {
    const tenant = await prisma.tenant.create({ data: { name: `Plans ${t}`, slug: `plans-${t}` } });
    ids.tenants.push(tenant.id);
    for (let d = 0; d < 5; d++)
      ids.domains.push(
        (await prisma.domain.create({ data: { tenantId: tenant.id, name: `d${d}.plans${t}.test` } })).id,
      );
    for (let s = 0; s < 3; s++)
      ids.servers.push(
        (await prisma.server.create({ data: { tenantId: tenant.id, name: `mx${s}-${t}` } })).id,
      );
  }
  const now = Date.now();
  const records: StoredRecord[] = [];
  for (let i = 0; i < 6000; i++) {
    const t = i % 4;
    const record: MailLogRecord = {
      seq: Math.floor(i / 12) + 1,
      at: new Date(now - (i % 3) * 86_400_000 - i * 1000).toISOString(),
      type: "delivery",
      direction: "inbound",
      queueId: `Q${i}`,
      messageId: `<m${i}@plans.test>`,
      from: `sender${i % 300}@far.test`,
      to: `user${i % 500}@d${i % 5}.plans${t}.test`,
      outcome: "delivered",
      host: "maildir",
      reply: "ok",
      status: "2.0.0",
      attempt: 1,
    };
    records.push({
      serverId: ids.servers[t * 3 + ((i % 12) % 3)]!,
      tenantId: ids.tenants[t]!,
      domainId: ids.domains[t * 5 + (i % 5)]!,
      record,
    });
  }
  await storeRecords(prisma, records);
  await prisma.$executeRawUnsafe(`ANALYZE "MailLogRecord"`);
});
afterAll(async () => stop?.());

const provider = (): Actor => ({
  userId: "p",
  email: "p@x",
  name: "p",
  providerRole: "PROVIDER_ADMIN",
  memberships: [],
});
const customerAdmin = (): Actor => ({
  userId: "c",
  email: "c@x",
  name: "c",
  providerRole: null,
  memberships: [{ tenantId: ids.tenants[0]!, role: "CUSTOMER_ADMIN", domainIds: [] }],
});

async function plan(sql: Prisma.Sql): Promise<string> {
  const rows = await prisma.$queryRaw<{ "QUERY PLAN": string }[]>`EXPLAIN ${sql}`;
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

describe("search plans", () => {
  const searches: [string, () => Actor, Record<string, unknown>, RegExp][] = [
    ["by recipient", customerAdmin, { recipient: "user7@d2.plans0.test" }, /recipients_idx/],
    ["by sender", provider, { sender: "sender7@far.test" }, /sender_at_idx/],
    ["by client IP", provider, { clientIp: "203.0.113.9" }, /clientIp_at_idx/],
    ["by queue id or Message-ID", provider, { message: "Q7" }, /queueId_idx[\s\S]*messageId_idx/],
    [
      "a domain's last hour",
      provider,
      { domainId: "", from: new Date(Date.now() - 3600_000) },
      /domainId_at_idx/,
    ],
  ];
  for (const [name, actor, filter, index] of searches) {
    it(`${name} uses its index on every partition`, async () => {
      const resolved = { ...filter, ...(filter.domainId === "" && { domainId: ids.domains[3] }) };
      const text = await plan(searchSql(actor(), resolved, { limit: 50 }));
      expect(text).toMatch(index);
      expect(text).not.toMatch(/Seq Scan/);
    });
  }
});
