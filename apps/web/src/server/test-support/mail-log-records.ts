// Test support: stores mail-log records through the hub's own ingest (storeMailLogBatch: columns derived
// from the record, the domain stamped from its name, day partitions created), one batch per server, so
// the console's reading side is tested on exactly the rows agents produce. A fixture names the domain by
// its row id; it is put into the record by name, as an agent would.
import { storeMailLogBatch, type Db } from "@mailwarden/db";
import type { MailLogRecord } from "@mailwarden/protocol";

export interface StoredRecord {
  serverId: string;
  tenantId: string;
  domainId?: string | null;
  record: MailLogRecord;
}

export async function storeRecords(prisma: Db, records: StoredRecord[]): Promise<void> {
  const domainIds = [...new Set(records.flatMap((r) => (r.domainId ? [r.domainId] : [])))];
  const domains = await prisma.domain.findMany({
    where: { id: { in: domainIds } },
    select: { id: true, name: true },
  });
  const nameOf = new Map(domains.map((d) => [d.id, d.name]));
  const batches = new Map<string, { serverId: string; tenantId: string; records: MailLogRecord[] }>();
  for (const { serverId, tenantId, domainId, record } of records) {
    const batch = batches.get(serverId) ?? { serverId, tenantId, records: [] };
    batches.set(serverId, batch);
    batch.records.push(domainId ? { ...record, domain: nameOf.get(domainId) } : record);
  }
  for (const batch of batches.values()) {
    batch.records.sort((x, y) => x.seq - y.seq);
    for (let i = 0; i < batch.records.length; i += 500)
      await storeMailLogBatch(prisma, { ...batch, records: batch.records.slice(i, i + 500) });
  }
}
