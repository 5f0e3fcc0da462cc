// Test support: stores mail-log records as the hub's ingest would (columns derived from the record,
// day partitions created on demand), so the console's reading side can be tested before and apart from
// the agent and the hub. Switch to packages/db's storeMailLogBatch once it is committed.
import { Prisma, type Db } from "@mailwarden/db";
import { outcomeOf, recipientsOf, type MailLogRecord } from "@mailwarden/protocol";

export interface StoredRecord {
  serverId: string;
  tenantId: string;
  domainId?: string | null;
  record: MailLogRecord;
}

const created = new Set<string>();

async function ensurePartition(prisma: Db, at: Date) {
  const day = at.toISOString().slice(0, 10);
  if (created.has(day)) return;
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const name = `MailLogRecord_${day.replaceAll("-", "")}`;
  await prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "MailLogRecord" FOR VALUES FROM ('${day}') TO ('${next.toISOString().slice(0, 10)}')`,
  );
  created.add(day);
}

export async function storeRecords(prisma: Db, records: StoredRecord[]): Promise<void> {
  created.clear();
  for (const r of records) await ensurePartition(prisma, new Date(r.record.at));
  const rows = records.map(({ serverId, tenantId, domainId, record }) => {
    const fields = record as Record<string, unknown>;
    return Prisma.sql`(${serverId}, ${record.seq}, ${new Date(record.at)}, ${tenantId}, ${domainId ?? null},
      ${record.type}, ${outcomeOf(record)}, ${(fields.direction as string | undefined) ?? null},
      ${typeof fields.from === "string" ? fields.from.toLowerCase() : null},
      ${recipientsOf(record).map((a) => a.toLowerCase())}::text[],
      ${(fields.client as string | undefined) ?? null}, ${(fields.rule as string | undefined) ?? null},
      ${(fields.queueId as string | undefined) ?? null}, ${(fields.messageId as string | undefined) ?? null},
      ${(fields.session as string | undefined) ?? null}, ${JSON.stringify(record)}::jsonb)`;
  });
  for (let i = 0; i < rows.length; i += 500) {
    await prisma.$executeRaw`
      INSERT INTO "MailLogRecord" ("serverId", seq, at, "tenantId", "domainId", type, outcome, direction,
        sender, recipients, "clientIp", rule, "queueId", "messageId", session, record)
      VALUES ${Prisma.join(rows.slice(i, i + 500))}
      ON CONFLICT DO NOTHING`;
  }
}
