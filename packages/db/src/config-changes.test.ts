// A policy change must reach every hub exactly when it commits: never for a rolled-back change, and the
// listener must outlive dropped connections and garbage on its channel.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  configChannel,
  listenConfigChanges,
  markConfigChanged,
  type ConfigChangeScope,
} from "./config-changes";
import { createTestDatabase, type TestDatabase } from "./testing";

/** Collects notifications; `next()` resolves with the next batch (or rejects after `ms`). */
function collector() {
  const batches: ConfigChangeScope[] = [];
  const waiters: ((scope: ConfigChangeScope) => void)[] = [];
  return {
    batches,
    onChange: (scope: ConfigChangeScope) => {
      const waiter = waiters.shift();
      if (waiter) waiter(scope);
      else batches.push(scope);
    },
    next(ms = 5000): Promise<ConfigChangeScope> {
      const queued = batches.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no notification")), ms);
        waiters.push((scope) => {
          clearTimeout(timer);
          resolve(scope);
        });
      });
    },
  };
}

const quiet = () => {};

describe("markConfigChanged + listenConfigChanges", () => {
  let db: TestDatabase;
  let tenantA: string;
  let tenantB: string;
  let a1: string, a2: string, b1: string, revoked: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenantA = (await db.prisma.tenant.create({ data: { name: "A", slug: "a" } })).id;
    tenantB = (await db.prisma.tenant.create({ data: { name: "B", slug: "b" } })).id;
    a1 = (await db.prisma.server.create({ data: { tenantId: tenantA, name: "a1" } })).id;
    a2 = (await db.prisma.server.create({ data: { tenantId: tenantA, name: "a2" } })).id;
    revoked = (await db.prisma.server.create({ data: { tenantId: tenantA, name: "old", status: "REVOKED" } }))
      .id;
    b1 = (await db.prisma.server.create({ data: { tenantId: tenantB, name: "b1" } })).id;
  });
  afterAll(async () => {
    await db?.stop();
  });

  it("delivers the changed scope at commit and bumps their desired revision", async () => {
    const events = collector();
    const listener = await listenConfigChanges(db.url, events.onChange, { log: quiet });
    try {
      const returned = await db.prisma.$transaction(async (tx) => {
        const ids = await markConfigChanged(tx, { tenantId: tenantA });
        await new Promise((r) => setTimeout(r, 200));
        expect(events.batches).toEqual([]); // nothing before commit
        return ids;
      });
      expect(returned).toEqual([a1, a2].sort());
      expect(await events.next()).toEqual({ tenantId: tenantA });

      const servers = await db.prisma.server.findMany({ select: { id: true, desiredRevision: true } });
      const revisionOf = Object.fromEntries(servers.map((s) => [s.id, s.desiredRevision]));
      expect(revisionOf).toEqual({ [a1]: 2, [a2]: 2, [revoked]: 1, [b1]: 1 });

      await db.prisma.$transaction((tx) => markConfigChanged(tx, { serverId: b1 }));
      expect(await events.next()).toEqual({ serverId: b1 });
      await db.prisma.$transaction((tx) => markConfigChanged(tx, { all: true }));
      expect(await events.next()).toEqual({ all: true });
    } finally {
      await listener.close();
    }
  });

  it("delivers nothing and changes nothing when the transaction rolls back", async () => {
    const events = collector();
    const listener = await listenConfigChanges(db.url, events.onChange, { log: quiet });
    try {
      const before = await db.prisma.server.findUniqueOrThrow({ where: { id: b1 } });
      await expect(
        db.prisma.$transaction(async (tx) => {
          await markConfigChanged(tx, { serverId: b1 });
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
      await expect(events.next(500)).rejects.toThrow("no notification");
      const after = await db.prisma.server.findUniqueOrThrow({ where: { id: b1 } });
      expect(after.desiredRevision).toBe(before.desiredRevision);
    } finally {
      await listener.close();
    }
  });

  it("survives a malformed payload and a dropped connection", async () => {
    const events = collector();
    const logged: string[] = [];
    let reconnects = 0;
    const listener = await listenConfigChanges(db.url, events.onChange, {
      log: (line) => logged.push(line),
      onReconnect: () => reconnects++,
      minBackoffMs: 20,
    });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query("SELECT pg_notify($1, $2)", [configChannel, "not json"]);
      await admin.query("SELECT pg_notify($1, $2)", [configChannel, '{"ids": 1}']);
      await admin.query("SELECT pg_notify($1, $2)", [configChannel, '{"serverId": "s1", "all": true}']);
      await admin.query("SELECT pg_notify($1, $2)", [configChannel, JSON.stringify({ serverId: "s1" })]);
      expect(await events.next()).toEqual({ serverId: "s1" });
      expect(logged.filter((l) => l.includes("malformed"))).toHaveLength(3);

      // Kill the listener's backend, as a Postgres restart or a network cut would.
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE query = $1 AND pid <> pg_backend_pid()`,
        [`LISTEN ${configChannel}`],
      );
      const deadline = Date.now() + 10_000;
      while (reconnects === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(reconnects).toBe(1);

      await db.prisma.$transaction((tx) => markConfigChanged(tx, { serverId: a1 }));
      expect(await events.next()).toEqual({ serverId: a1 });
    } finally {
      await admin.end();
      await listener.close();
    }
  });

  it("tells a change to hundreds of servers in one small notification", async () => {
    const events = collector();
    const listener = await listenConfigChanges(db.url, events.onChange, { log: quiet });
    try {
      await db.prisma.server.createMany({
        data: Array.from({ length: 400 }, (_, i) => ({ tenantId: tenantB, name: `bulk${i}` })),
      });
      const ids = await db.prisma.$transaction((tx) => markConfigChanged(tx, { tenantId: tenantB }));
      expect(ids).toHaveLength(401);
      expect(await events.next()).toEqual({ tenantId: tenantB });
      await expect(events.next(300)).rejects.toThrow("no notification");
    } finally {
      await listener.close();
    }
  });

  it("notifies nobody when no server is affected", async () => {
    const events = collector();
    const listener = await listenConfigChanges(db.url, events.onChange, { log: quiet });
    try {
      expect(await db.prisma.$transaction((tx) => markConfigChanged(tx, { serverId: revoked }))).toEqual([]);
      await expect(events.next(300)).rejects.toThrow("no notification");
    } finally {
      await listener.close();
    }
  });
});
