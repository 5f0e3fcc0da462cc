// The hub benchmark's data: a fresh database per scenario (a copy of the migrated one), a fleet of
// customers, domains, mailboxes and enrolled servers written with set-based inserts, the provider admin
// who changes the policy, and the queries that read what the hub recorded.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { hashToken, type Db } from "@mailwarden/db";
import type { Actor } from "../../apps/web/src/server/access";
import { updateProviderPolicy } from "../../apps/web/src/server/services/policy";

export interface FleetShape {
  serversPerCustomer: number;
  domainsPerCustomer: number;
  mailboxesPerDomain: number;
}

export interface FleetAgent {
  /** The Server row's id: the agent's agentId. */
  id: string;
  secret: string;
  /** The revision this agent holds when it first says hello (it enrolled and applied it earlier). */
  appliedRevision: number;
}

export interface Fleet {
  agents: FleetAgent[];
  actor: Actor;
  customers: number;
  seconds: number;
}

/** The URL of `database` on the same server as `url`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A new database copied from the migrated `template` (nobody may be connected to it). */
export async function createScenarioDatabase(url: string, template: string, name: string): Promise<string> {
  await withClient(databaseUrl(url, "postgres"), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  });
  return databaseUrl(url, name);
}

export async function dropScenarioDatabase(url: string, name: string): Promise<void> {
  await withClient(databaseUrl(url, "postgres"), (client) =>
    client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined),
  );
}

/** Mailbox rows per INSERT … SELECT FROM unnest (each column travels as one array parameter). */
const CHUNK = 20_000;

/** Ids shaped like Prisma's cuid() ones: "c", the time, a counter and randomness, in base 36. */
let idCounter = 0;
function newId(): string {
  const counter = (idCounter++ % 1_679_616).toString(36).padStart(4, "0");
  return `c${Date.now().toString(36)}${counter}${BigInt(`0x${randomBytes(8).toString("hex")}`)
    .toString(36)
    .slice(0, 12)}`;
}

// What a mailbox's stored hash looks like; the hub forwards it and nobody logs in during the benchmark.
const MAILBOX_HASH =
  "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hzYWx0YmVuY2hzYWx0$3w0dOxx3b9Pz0xE0m9o6U5bq7m8gP6o0jv3Yk8n2nQ4";

/**
 * `count` enrolled servers in customers of `shape.serversPerCustomer`, each customer with its domains and
 * mailboxes (every server of a customer enforces all of that customer's domains, as in production). The
 * servers start OFFLINE holding revision 1, as a fleet that enrolled earlier and is coming back. Written
 * with set-based inserts (10,000 servers and their customers in a few seconds).
 */
export async function createFleet(prisma: Db, count: number, shape: FleetShape): Promise<Fleet> {
  const started = performance.now();
  const customers = Math.ceil(count / shape.serversPerCustomer);
  const pad = (n: number) => String(n).padStart(6, "0");
  const tenantIds = Array.from({ length: customers }, () => newId());
  await prisma.$executeRawUnsafe(
    `INSERT INTO "Tenant" ("id", "name", "slug", "updatedAt")
     SELECT v.id, v.name, v.slug, now() FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, name, slug)`,
    tenantIds,
    tenantIds.map((_, c) => `Bench customer ${pad(c + 1)}`),
    tenantIds.map((_, c) => `bench-customer-${pad(c + 1)}`),
  );
  const domains = tenantIds.flatMap((tenantId, c) =>
    Array.from({ length: shape.domainsPerCustomer }, (_, d) => ({
      id: newId(),
      tenantId,
      name: `d${d + 1}.customer${pad(c + 1)}.bench.test`,
    })),
  );
  await prisma.$executeRawUnsafe(
    `INSERT INTO "Domain" ("id", "tenantId", "name")
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
    domains.map((d) => d.id),
    domains.map((d) => d.tenantId),
    domains.map((d) => d.name),
  );
  const mailboxes = domains.flatMap((domain) =>
    Array.from({ length: shape.mailboxesPerDomain }, (_, m) => [domain.tenantId, domain.id, `user${m + 1}`]),
  );
  for (let at = 0; at < mailboxes.length; at += CHUNK) {
    const chunk = mailboxes.slice(at, at + CHUNK);
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Mailbox" ("id", "tenantId", "domainId", "localPart", "displayName", "passwordHash", "updatedAt")
       SELECT gen_random_uuid()::text, v.tenant, v.domain, v.local, 'Bench user', $4, now()
         FROM unnest($1::text[], $2::text[], $3::text[]) AS v(tenant, domain, local)`,
      chunk.map((m) => m[0]!),
      chunk.map((m) => m[1]!),
      chunk.map((m) => m[2]!),
      MAILBOX_HASH,
    );
  }
  const serverIds = Array.from({ length: count }, () => newId());
  const secrets = Array.from({ length: count }, () => randomBytes(32).toString("base64url"));
  await prisma.$executeRawUnsafe(
    `INSERT INTO "Server" ("id", "tenantId", "name", "status", "hostname", "agentVersion",
                           "desiredRevision", "appliedRevision", "updatedAt")
     SELECT v.id, v.tenant, v.name, 'OFFLINE'::"ServerStatus", v.name || '.bench.test', 'bench', 1, 1, now()
       FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, tenant, name)`,
    serverIds,
    serverIds.map((_, i) => tenantIds[Math.floor(i / shape.serversPerCustomer)]!),
    serverIds.map((_, i) => `mx${pad(i + 1)}`),
  );
  await prisma.$executeRawUnsafe(
    `INSERT INTO "AgentCredential" ("id", "serverId", "secretHash")
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
    serverIds.map(() => newId()),
    serverIds,
    secrets.map((secret) => hashToken(secret)),
  );
  const user = await prisma.user.create({
    data: { email: "bench-admin@provider.test", name: "Bench admin", providerRole: "PROVIDER_ADMIN" },
  });
  return {
    agents: serverIds.map((id, i) => ({ id, secret: secrets[i]!, appliedRevision: 1 })),
    actor: {
      userId: user.id,
      email: user.email,
      name: user.name,
      providerRole: "PROVIDER_ADMIN",
      memberships: [],
    },
    customers,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Changes one provider default the way the dashboard's policy.updateProvider mutation does (the same
 * service, a real admin, an audit row, NOTIFY at commit). Each call sets a different value.
 */
export async function changeProviderPolicy(prisma: Db, actor: Actor, change: number): Promise<void> {
  await updateProviderPolicy(
    prisma,
    actor,
    {
      patch: { connectionLimits: { maxConcurrent: 400 + change, maxPerIp: 10, maxNewPerIpPerMinute: 60 } },
      confirmLoosening: true,
    },
    "127.0.0.1",
  );
}

/** A plain connection for the polls (every 50 ms): no Prisma in the measuring loop. */
export class FleetReader {
  private constructor(private readonly client: pg.Client) {}

  static async open(url: string): Promise<FleetReader> {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {});
    await client.connect();
    return new FleetReader(client);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }

  /** desiredRevision by server id. */
  async desiredRevisions(): Promise<Map<string, number>> {
    const { rows } = await this.client.query<{ id: string; desired: number }>(
      `SELECT id, "desiredRevision" AS desired FROM "Server"`,
    );
    return new Map(rows.map((row) => [row.id, row.desired]));
  }

  /** Servers whose recorded appliedRevision has reached `target` (all servers share one target). */
  async appliedCount(target: number): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(
      `SELECT count(*) AS n FROM "Server" WHERE "appliedRevision" >= $1`,
      [target],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Servers whose row does not show `target` applied. */
  async notApplied(target: number): Promise<string[]> {
    const { rows } = await this.client.query<{ id: string }>(
      `SELECT id FROM "Server" WHERE "appliedRevision" IS NULL OR "appliedRevision" < $1`,
      [target],
    );
    return rows.map((row) => row.id);
  }

  /** Status by server id. */
  async statuses(): Promise<Map<string, string>> {
    const { rows } = await this.client.query<{ id: string; status: string }>(
      `SELECT id, status::text AS status FROM "Server"`,
    );
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  /** Transactions committed and rolled back in this database so far (pg_stat_database). */
  async transactions(): Promise<{ commits: number; rollbacks: number }> {
    const { rows } = await this.client.query<{ c: string; r: string }>(
      `SELECT xact_commit AS c, xact_rollback AS r FROM pg_stat_database WHERE datname = current_database()`,
    );
    return { commits: Number(rows[0]?.c ?? 0), rollbacks: Number(rows[0]?.r ?? 0) };
  }

  /** Audit rows written so far (every connect, disconnect and recorded ack writes one today). */
  async auditRows(): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM "AuditEvent"`);
    return Number(rows[0]?.n ?? 0);
  }
}
