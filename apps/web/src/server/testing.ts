// Test support: a migrated database wired into the runtime, and a caller for the real tRPC router
// acting as a given user — the same code path as the HTTP API, minus HTTP.
import { randomBytes } from "node:crypto";
import { createTestDatabase } from "@mailwarden/db/testing";
import type { Db, Role } from "@mailwarden/db";
import { FakeAgent, startHub, type EnrolledServer, type RunningHub } from "@mailwarden/hub/testing";
import type { HubCommand, Posture } from "@mailwarden/protocol";
import { setRuntime } from "./runtime";
import { deriveAuthSecret } from "./secrets";
import { hashPassword } from "./passwords";
import { createCaller } from "./trpc/root";

export async function createTestRuntime() {
  const db = await createTestDatabase();
  const secretKey = randomBytes(32);
  setRuntime({
    prisma: db.prisma,
    databaseUrl: db.url,
    secretKey,
    authSecret: deriveAuthSecret(secretKey),
    publicUrl: "http://localhost:3999",
    sessionMaxAgeSeconds: 3600,
  });
  return db;
}

export function callerFor(prisma: Db, userId: string | null) {
  return createCaller({ prisma, userId, ip: "127.0.0.1" });
}

export const TEST_PASSWORD = "Correct-Horse-42-Battery";

export async function createUser(
  prisma: Db,
  input: {
    email: string;
    providerRole?: Role;
    membership?: { tenantId: string; role: Role; domainIds?: string[] };
  },
) {
  const hash = await hashPassword(TEST_PASSWORD);
  return prisma.user.create({
    data: {
      email: input.email,
      name: input.email.split("@")[0]!,
      providerRole: input.providerRole ?? null,
      password: { create: { hash } },
      memberships: input.membership
        ? {
            create: {
              tenantId: input.membership.tenantId,
              role: input.membership.role,
              domains: { create: (input.membership.domainIds ?? []).map((domainId) => ({ domainId })) },
            },
          }
        : undefined,
    },
  });
}

/** The real hub on a loopback port, on the test database: what the console's custom server mounts. */
export function startTestHub(db: { prisma: Db; url: string }): Promise<RunningHub> {
  return startHub({ prisma: db.prisma, databaseUrl: db.url, heartbeatIntervalMs: 1000 });
}

export type CommandAnswer = { ok: true; result: unknown } | { ok: false; error: string } | "silence";

/**
 * A fake agent connected to the hub as `server`, answering every hub.command with `answer` (or not at
 * all, for "silence"). `commands` records what it was asked.
 */
export async function connectAnsweringAgent(
  hubUrl: string,
  server: Pick<EnrolledServer, "serverId" | "secret">,
  answer: (command: HubCommand) => CommandAnswer,
): Promise<FakeAgent & { commands: HubCommand[] }> {
  const agent = Object.assign(await FakeAgent.session(hubUrl, server, { appliedRevision: 1 }), {
    commands: [] as HubCommand[],
  });
  agent.ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as { type: string; commandId: string; command: HubCommand };
    if (message.type !== "hub.command") return;
    agent.commands.push(message.command);
    const reply = answer(message.command);
    if (reply !== "silence")
      agent.send({ type: "agent.command.result", commandId: message.commandId, ...reply });
  });
  return agent;
}

/** A plausible agent posture for tests of what the dashboard reads from it; `extra` adds or replaces fields. */
export function testPosture(extra: Partial<Posture> = {}): Posture {
  return {
    agentVersion: "0.1.0",
    hostname: "mx.example.test",
    listeners: [],
    tlsVersions: ["TLSv1.2", "TLSv1.3"],
    certificate: { subject: "CN=mx", selfSigned: true, notAfter: new Date().toISOString(), daysLeft: 300 },
    queueSize: 0,
    memory: { rssBytes: 1, heapUsedBytes: 1 },
    appliedRevision: 1,
    uptimeSeconds: 5,
    ...extra,
  };
}
