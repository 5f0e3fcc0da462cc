// A command rings the hubs' doorbell only once it is committed, and the listener shares the config
// listener's connection machinery (reconnects, ignores garbage).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentCommandHandler,
  commandChannel,
  issueAgentCommand,
  listenAgentCommands,
} from "./agent-commands";
import {
  configChangeHandler,
  configChannel,
  markConfigChanged,
  type ConfigChangeScope,
} from "./config-changes";
import { listenChannels } from "./listen";
import { createTestDatabase, type TestDatabase } from "./testing";

function collector() {
  const ids: string[] = [];
  const waiters: ((id: string) => void)[] = [];
  return {
    ids,
    onId: (id: string) => {
      const waiter = waiters.shift();
      if (waiter) waiter(id);
      else ids.push(id);
    },
    next(ms = 5000): Promise<string> {
      const queued = ids.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const waiter = (id: string) => {
          clearTimeout(timer);
          resolve(id);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error("no notification"));
        }, ms);
        waiters.push(waiter);
      });
    },
  };
}

describe("issueAgentCommand + listenAgentCommands", () => {
  let db: TestDatabase;
  let tenantId: string;
  let serverId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenantId = (await db.prisma.tenant.create({ data: { name: "A", slug: "a" } })).id;
    serverId = (await db.prisma.server.create({ data: { tenantId, name: "mx1" } })).id;
  });
  afterAll(async () => {
    await db?.stop();
  });

  it("stores a PENDING command and notifies its id at commit, never on rollback", async () => {
    const events = collector();
    const logged: string[] = [];
    const listener = await listenAgentCommands(db.url, events.onId, { log: (l) => logged.push(l) });
    try {
      const { id } = await db.prisma.$transaction(async (tx) => {
        const row = await issueAgentCommand(tx, {
          serverId,
          tenantId,
          type: "queue.list",
          payload: { type: "queue.list" },
        });
        await new Promise((r) => setTimeout(r, 200));
        expect(events.ids).toEqual([]);
        return row;
      });
      expect(await events.next()).toBe(id);
      const row = await db.prisma.agentCommand.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ status: "PENDING", type: "queue.list", payload: { type: "queue.list" } });

      await expect(
        db.prisma.$transaction(async (tx) => {
          await issueAgentCommand(tx, { serverId, tenantId, type: "queue.list", payload: {} });
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
      await expect(events.next(500)).rejects.toThrow("no notification");
      expect(await db.prisma.agentCommand.count()).toBe(1);

      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query("SELECT pg_notify($1, $2)", [commandChannel, "'; DROP TABLE x; --"]);
      await admin.query("SELECT pg_notify($1, $2)", [commandChannel, "cmd_ok"]);
      await admin.end();
      expect(await events.next()).toBe("cmd_ok");
      expect(logged.filter((l) => l.includes("malformed"))).toHaveLength(1);
    } finally {
      await listener.close();
    }
  });

  it("shares one LISTEN connection with config changes", async () => {
    const commands = collector();
    const changes: ConfigChangeScope[] = [];
    const listener = await listenChannels(db.url, {
      [configChannel]: configChangeHandler((scope) => changes.push(scope)),
      [commandChannel]: agentCommandHandler(commands.onId),
    });
    try {
      await db.prisma.$transaction((tx) => markConfigChanged(tx, { serverId }));
      const { id } = await issueAgentCommand(db.prisma, {
        serverId,
        tenantId,
        type: "queue.list",
        payload: { type: "queue.list" },
      });
      expect(await commands.next()).toBe(id);
      expect(changes).toEqual([{ serverId }]);
    } finally {
      await listener.close();
    }
  });

  it("goes away with its server", async () => {
    const doomed = (await db.prisma.server.create({ data: { tenantId, name: "mx2" } })).id;
    await issueAgentCommand(db.prisma, { serverId: doomed, tenantId, type: "queue.list", payload: {} });
    await db.prisma.server.delete({ where: { id: doomed } });
    expect(await db.prisma.agentCommand.count({ where: { serverId: doomed } })).toBe(0);
  });
});
