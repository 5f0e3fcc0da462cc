// A server's mail queue as an admin sees it: the listing comes from the agent through the real hub, an
// action reaches the agent and leaves an audit event, another customer's user sees nothing, and an agent
// that is offline or silent is said to be so instead of leaving the page hanging.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import {
  createEnrolledServer,
  eventually,
  type EnrolledServer,
  type RunningHub,
} from "@mailwarden/hub/testing";
import type { QueueListResult } from "@mailwarden/protocol";
import { loadActor } from "../auth/actor";
import {
  callerFor,
  connectAnsweringAgent,
  createTestRuntime,
  createUser,
  startTestHub,
  type CommandAnswer,
} from "../testing";
import { getServerQueue } from "./queue";

let prisma: Db;
let stopDb: () => Promise<void>;
let hub: RunningHub;
let adminId: string;
let admin: ReturnType<typeof callerFor>;
let server: EnrolledServer;
let tenantId: string;
const users = {} as { ownCustomerAdmin: string; otherCustomerAdmin: string };

const listing: QueueListResult = {
  size: 1,
  oldestAt: "2026-11-20T08:00:00.000Z",
  entries: [
    {
      id: "MQ1AAA",
      from: "alice@queue.test",
      receivedAt: "2026-11-20T08:00:00.000Z",
      size: 2048,
      recipientCount: 2,
      recipients: [
        {
          address: "bob@remote.test",
          state: "pending",
          attempts: 3,
          nextAttemptAt: "2026-11-20T09:00:00.000Z",
          lastError: "451 4.7.1 greylisted, try again later",
        },
        {
          address: "carol@remote.test",
          state: "delivered",
          attempts: 1,
          nextAttemptAt: null,
          lastError: null,
        },
      ],
    },
  ],
};

/** What the fake agent answers: a listing, or which ids it acted on. */
function answer(command: Parameters<Parameters<typeof connectAnsweringAgent>[2]>[0]): CommandAnswer {
  switch (command.type) {
    case "queue.list":
      return { ok: true, result: listing };
    case "queue.resetRetries":
      return { ok: true, result: { count: 1 } };
    case "abuse.list":
      return { ok: true, result: { blocks: [] } };
    default:
      return {
        ok: true,
        result: {
          done: command.ids.filter((id) => id === "MQ1AAA"),
          missing: command.ids.filter((id) => id !== "MQ1AAA"),
        },
      };
  }
}

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stopDb = db.stop;
  hub = await startTestHub(db);
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  adminId = user.id;
  admin = callerFor(prisma, user.id);
  tenantId = (await admin.customer.create({ name: "Queue Co", require2fa: false })).id;
  const otherTenant = (await admin.customer.create({ name: "Other Co", require2fa: false })).id;
  server = await createEnrolledServer(prisma, tenantId);
  users.ownCustomerAdmin = (
    await createUser(prisma, { email: "ca@queue.test", membership: { tenantId, role: "CUSTOMER_ADMIN" } })
  ).id;
  users.otherCustomerAdmin = (
    await createUser(prisma, {
      email: "ca@other.test",
      membership: { tenantId: otherTenant, role: "CUSTOMER_ADMIN" },
    })
  ).id;
});
afterAll(async () => {
  await hub?.stop();
  await stopDb?.();
});

describe("server queue", () => {
  it("shows the queue the agent reports, to the provider and to the customer's own admin", async () => {
    const agent = await connectAnsweringAgent(hub.url, server, answer);
    try {
      expect(await admin.server.queue({ serverId: server.serverId })).toEqual({ status: "ok", ...listing });
      const own = callerFor(prisma, users.ownCustomerAdmin);
      expect(await own.server.queue({ serverId: server.serverId })).toMatchObject({ status: "ok", size: 1 });
      expect(agent.commands).toEqual([{ type: "queue.list" }, { type: "queue.list" }]);
      const rows = await prisma.agentCommand.findMany({ where: { serverId: server.serverId } });
      expect(rows.map((r) => [r.type, r.status, r.tenantId])).toEqual([
        ["queue.list", "DONE", tenantId],
        ["queue.list", "DONE", tenantId],
      ]);
    } finally {
      await agent.close();
    }
  });

  it("sends each action to the agent and audits who asked for what on which server", async () => {
    const agent = await connectAnsweringAgent(hub.url, server, answer);
    try {
      const retried = await admin.server.queueAction({
        serverId: server.serverId,
        action: "retry",
        ids: ["MQ1AAA", "GONE1"],
      });
      expect(retried).toEqual({
        status: "ok",
        action: "retry",
        result: { done: ["MQ1AAA"], missing: ["GONE1"] },
      });
      for (const action of ["bounce", "delete"] as const) {
        expect(
          await admin.server.queueAction({ serverId: server.serverId, action, ids: ["MQ1AAA"] }),
        ).toMatchObject({
          status: "ok",
        });
      }
      expect(await admin.server.queueAction({ serverId: server.serverId, action: "resetRetries" })).toEqual({
        status: "ok",
        action: "resetRetries",
        result: { count: 1 },
      });
      expect(agent.commands).toEqual([
        { type: "queue.retry", ids: ["MQ1AAA", "GONE1"] },
        { type: "queue.bounce", ids: ["MQ1AAA"] },
        { type: "queue.delete", ids: ["MQ1AAA"] },
        { type: "queue.resetRetries" },
      ]);

      const audits = await prisma.auditEvent.findMany({
        where: {
          type: {
            in: ["QUEUE_RETRIED", "QUEUE_MESSAGE_BOUNCED", "QUEUE_MESSAGE_DELETED", "QUEUE_RETRIES_RESET"],
          },
        },
        orderBy: { at: "asc" },
      });
      expect(audits.map((a) => a.type)).toEqual([
        "QUEUE_RETRIED",
        "QUEUE_MESSAGE_BOUNCED",
        "QUEUE_MESSAGE_DELETED",
        "QUEUE_RETRIES_RESET",
      ]);
      const [retry] = audits;
      expect(retry).toMatchObject({
        actorType: "USER",
        actorUserId: adminId,
        actorLabel: "ops@provider.test",
        tenantId,
        targetType: "server",
        targetId: server.serverId,
        ip: "127.0.0.1",
        after: { action: "retry", ids: ["MQ1AAA", "GONE1"], commandId: expect.any(String) },
      });
      expect(retry!.summary).toMatch(/^Retry now: 2 queued messages on mx-\S+ \(MQ1AAA, GONE1\)$/);
      expect(audits[3]!.after).toMatchObject({ action: "resetRetries", ids: "all" });

      await expect(
        admin.server.queueAction({ serverId: server.serverId, action: "delete", ids: [] }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    } finally {
      await agent.close();
    }
  });

  it("shows nothing of it to another customer's user and lets no customer user act", async () => {
    const agent = await connectAnsweringAgent(hub.url, server, answer);
    try {
      const before = await prisma.agentCommand.count();
      const auditsBefore = await prisma.auditEvent.count();
      const other = callerFor(prisma, users.otherCustomerAdmin);
      await expect(other.server.queue({ serverId: server.serverId })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await expect(
        other.server.queueAction({ serverId: server.serverId, action: "delete", ids: ["MQ1AAA"] }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      // The customer's own admin reads the queue but changes nothing (server.write is the provider's).
      const own = callerFor(prisma, users.ownCustomerAdmin);
      await expect(
        own.server.queueAction({ serverId: server.serverId, action: "bounce", ids: ["MQ1AAA"] }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect(await prisma.agentCommand.count()).toBe(before);
      expect(await prisma.auditEvent.count()).toBe(auditsBefore);
      expect(agent.commands).toEqual([]);

      // Directly at the service too: tenant access is decided by scope, whatever the caller.
      const otherActor = (await loadActor(prisma, users.otherCustomerAdmin))!.actor;
      await expect(getServerQueue(prisma, otherActor, server.serverId)).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    } finally {
      await agent.close();
    }
  });

  it("says the agent is offline without asking it, and times out on a silent one", async () => {
    // The fake agent's close marks the server OFFLINE.
    await eventually(async () => {
      const row = await prisma.server.findUniqueOrThrow({ where: { id: server.serverId } });
      return row.status === "OFFLINE";
    });
    const before = await prisma.agentCommand.count();
    expect(await admin.server.queue({ serverId: server.serverId })).toEqual({ status: "offline" });
    expect(
      await admin.server.queueAction({ serverId: server.serverId, action: "retry", ids: ["MQ1AAA"] }),
    ).toEqual({ status: "offline" });
    expect(await prisma.agentCommand.count()).toBe(before);

    const actor = (await loadActor(prisma, adminId))!.actor;
    const silent = await connectAnsweringAgent(hub.url, server, () => "silence");
    try {
      expect(await getServerQueue(prisma, actor, server.serverId, { waitMs: 600 })).toEqual({
        status: "timeout",
        wasSent: true,
      });
    } finally {
      await silent.close();
    }

    // ONLINE in the database but held by no hub (a hub that just died): the command is withdrawn.
    await eventually(async () => {
      const row = await prisma.server.findUniqueOrThrow({ where: { id: server.serverId } });
      return row.status === "OFFLINE";
    });
    await prisma.server.update({ where: { id: server.serverId }, data: { status: "ONLINE" } });
    expect(await getServerQueue(prisma, actor, server.serverId, { waitMs: 300 })).toEqual({
      status: "timeout",
      wasSent: false,
    });
    const last = await prisma.agentCommand.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    expect(last.status).toBe("EXPIRED");
  });

  it("passes on the agent's own failure", async () => {
    const failing = await connectAnsweringAgent(hub.url, server, () => ({
      ok: false,
      error: "queue is busy",
    }));
    try {
      expect(await admin.server.queue({ serverId: server.serverId })).toEqual({
        status: "failed",
        error: "queue is busy",
      });
    } finally {
      await failing.close();
    }
  });
});
