// Seeds the mail-log search benchmark: a fleet (customers, servers, domains) and millions of mail-log rows
// spread over days, written the fast way a benchmark can afford and the ingest cannot: each day is loaded
// into a plain table with INSERT … SELECT generate_series, then attached as a partition, so its indexes
// are built once in bulk instead of row by row. The rows look like the ingest's (same columns, same
// lower-casing, a record JSON of the same shape) so the console's queries meet the same data.
import type pg from "pg";

export interface SeedShape {
  customers: number;
  servers: number;
  domains: number;
  records: number;
  days: number;
  /** The newest day's end: rows are spread over [end - days, end). */
  end: Date;
}

/** Ids of the seeded fleet, named so a bench query can pick one. */
export const seededIds = {
  tenant: (i: number) => `bench-tenant-${i}`,
  server: (i: number) => `bench-server-${i}`,
  domain: (i: number) => `bench-domain-${i}`,
  domainName: (i: number) => `d${i}.bench.test`,
  /** One of 50 mailboxes per domain. */
  recipient: (domain: number, mailbox: number) => `user${mailbox}@d${domain}.bench.test`,
  /** Client addresses: 10.x.y.z, 100,000 of them. */
  clientIp: (i: number) => `10.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`,
  queueId: (i: number) => `Q${i.toString(16).padStart(12, "0")}`,
};

export async function seedFleet(client: pg.Client, shape: SeedShape): Promise<void> {
  await client.query(
    `INSERT INTO "Tenant" (id, name, slug, "updatedAt")
     SELECT 'bench-tenant-' || i, 'Bench customer ' || i, 'bench-customer-' || i, now()
     FROM generate_series(0, $1::int - 1) i`,
    [shape.customers],
  );
  await client.query(
    `INSERT INTO "Server" (id, "tenantId", name, "updatedAt")
     SELECT 'bench-server-' || i, 'bench-tenant-' || (i % $2::int), 'mx' || i || '.bench.test', now()
     FROM generate_series(0, $1::int - 1) i`,
    [shape.servers, shape.customers],
  );
  await client.query(
    `INSERT INTO "Domain" (id, "tenantId", name)
     SELECT 'bench-domain-' || i, 'bench-tenant-' || (i % $2::int), 'd' || i || '.bench.test'
     FROM generate_series(0, $1::int - 1) i`,
    [shape.domains, shape.customers],
  );
}

/**
 * Loads `shape.records` rows, the same number per day. Row n of the whole set: server n % servers,
 * domain n % domains (of the server's customer, as the ingest would stamp it), a recipient among 50 per
 * domain, client 10.x.y.z among 100,000, queue id from n, one of five record types.
 */
export async function seedRecords(
  client: pg.Client,
  shape: SeedShape,
  log: (line: string) => void,
): Promise<void> {
  const perDay = Math.ceil(shape.records / shape.days);
  const dayMs = 86_400_000;
  const firstDay = Math.floor(shape.end.getTime() / dayMs) * dayMs - (shape.days - 1) * dayMs;
  for (let day = 0; day < shape.days; day++) {
    const from = new Date(firstDay + day * dayMs);
    const to = new Date(from.getTime() + dayMs);
    const name = `MailLogRecord_${from.toISOString().slice(0, 10).replaceAll("-", "")}`;
    const first = day * perDay;
    const count = Math.min(perDay, shape.records - first);
    if (count <= 0) break;
    const started = performance.now();
    await client.query(`DROP TABLE IF EXISTS "${name}"`);
    await client.query(`CREATE TABLE "${name}" (LIKE "MailLogRecord" INCLUDING DEFAULTS)`);
    // Domains belong to customer (i % customers); servers too: a row's server is one of its domain's
    // customer's servers, so stamping is consistent with the ingest's.
    await client.query(
      `INSERT INTO "${name}" ("serverId", seq, at, "tenantId", "domainId", type, outcome, direction,
         sender, recipients, "clientIp", rule, "queueId", "messageId", session, record)
       SELECT 'bench-server-' || srv, n, at, 'bench-tenant-' || (dom % $4::int), 'bench-domain-' || dom,
         t.type, t.outcome, 'inbound', 'sender' || (n % 997) || '@remote' || (n % 101) || '.example',
         ARRAY['user' || (n / $3::int % 50) || '@d' || dom || '.bench.test'],
         '10.' || (ip / 65536 % 256) || '.' || (ip / 256 % 256) || '.' || (ip % 256),
         t.rule, 'Q' || lpad(to_hex(n), 12, '0'), '<' || n || '@remote.example>', 'S' || (n / 4),
         jsonb_build_object('seq', n, 'at', at, 'type', t.type, 'domain', 'd' || dom || '.bench.test')
       FROM (
         SELECT n, n % $3::int AS dom, n % 100000 AS ip,
           $5::timestamptz + (n - $1::bigint) * (interval '1 millisecond' * (86400000.0 / $2::int)) AS at
         FROM generate_series($1::bigint, $1::bigint + $2::int - 1) n
       ) r
       CROSS JOIN LATERAL (SELECT ((r.dom % $4::int) + $4::int * (n % ($6::int / $4::int))) AS srv) s
       CROSS JOIN LATERAL (
         SELECT * FROM (VALUES
           (0, 'message.accepted', 'accepted', NULL),
           (1, 'delivery', 'delivered', NULL),
           (2, 'rcpt.to', 'accepted', NULL),
           (3, 'rcpt.to', 'rejected', 'rcpt.spf'),
           (4, 'connection.opened', NULL, NULL)
         ) v(k, type, outcome, rule) WHERE v.k = r.n % 5
       ) t`,
      [first + 1, count, shape.domains, shape.customers, from.toISOString(), shape.servers],
    );
    await client.query(
      `ALTER TABLE "MailLogRecord" ATTACH PARTITION "${name}" FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
    );
    log(
      `  ${name}: ${count.toLocaleString("en")} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  await client.query(`ANALYZE "MailLogRecord"`);
}
