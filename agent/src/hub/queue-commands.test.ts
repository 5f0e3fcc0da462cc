// The dashboard's queue commands as the hub sees them: a real agent enrolled with a (fake) hub lists a
// message that waits for a retry, acts on it, and answers every command — unknown, malformed or failing
// ones included — with ok:false and a reason instead of crashing or staying silent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueListResultSchema, type HubCommand } from "@mailwarden/protocol";
import type { RunningAgent } from "../agent";
import type { QueueListing } from "../delivery/delivery-worker";
import { TestDnsServer } from "../test-support/dns-zone";
import { FakeHub, VALID_TOKEN } from "../test-support/fake-hub";
import { agentConfig, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { enroll } from "./enroll";
import { listQueue, runQueueCommand, type QueueAdmin } from "./queue-commands";

describe("runQueueCommand", () => {
  const listing = (entries: QueueListing["entries"]): QueueListing => ({
    size: entries.length,
    oldestReceivedAt: entries[0]?.receivedAt ?? null,
    entries,
  });
  const entry = (id: string, recipients = 1, lastError = "451 later"): QueueListing["entries"][number] => ({
    id,
    mailFrom: "alice@example.test",
    receivedAt: "2026-01-01T00:00:00.000Z",
    spf: null,
    isBounce: false,
    recipients: Array.from({ length: recipients }, (_, i) => ({
      address: `r${i}@remote.test`,
      local: false,
      state: "pending" as const,
      attempts: 3,
      nextAttemptAt: "2026-01-01T01:00:00.000Z",
      lastError,
    })),
  });
  function stub(entries: QueueListing["entries"], failOn?: string) {
    const calls: string[] = [];
    const known = new Set(entries.map((e) => e.id));
    const act = (name: string) => async (id: string) => {
      calls.push(`${name} ${id}`);
      if (id === failOn) throw new Error("disk full");
      return known.has(id);
    };
    const queue: QueueAdmin = {
      list: () => listing(entries),
      retryNow: act("retry"),
      resetRetries: act("reset"),
      bounce: act("bounce"),
      delete: act("delete"),
    };
    return { queue, calls };
  }

  it("maps each command to the worker and says which messages were not there", async () => {
    const { queue, calls } = stub([entry("A1"), entry("B2")]);
    expect(await runQueueCommand(queue, { type: "queue.retry", ids: ["A1", "ZZ", "A1"] })).toEqual({
      ok: true,
      result: { done: ["A1"], missing: ["ZZ"] },
    });
    expect(await runQueueCommand(queue, { type: "queue.bounce", ids: ["B2"] })).toMatchObject({ ok: true });
    expect(await runQueueCommand(queue, { type: "queue.delete", ids: ["A1"] })).toMatchObject({ ok: true });
    expect(await runQueueCommand(queue, { type: "queue.resetRetries" })).toEqual({
      ok: true,
      result: { count: 2 },
    });
    expect(calls.sort()).toEqual(["bounce B2", "delete A1", "reset A1", "reset B2", "retry A1", "retry ZZ"]);
  });

  it("reports a failing message with what was done", async () => {
    const { queue } = stub([entry("A1"), entry("B2")], "B2");
    const outcome = await runQueueCommand(queue, { type: "queue.delete", ids: ["A1", "B2"] });
    expect(outcome).toEqual({ ok: false, error: "could not delete B2: disk full (done for A1)" });
  });

  it("keeps a listing of a huge queue within one frame and within the protocol's bounds", () => {
    const big = Array.from({ length: 2000 }, (_, i) => entry(`M${i}`, 300, "x".repeat(5000)));
    const result = listQueue(stub(big).queue);
    expect(result.size).toBe(2000);
    expect(result.entries.length).toBeGreaterThan(0);
    expect(result.entries.length).toBeLessThan(500);
    expect(result.entries[0]!.recipientCount).toBe(300);
    expect(result.entries[0]!.recipients).toHaveLength(200);
    expect(result.entries[0]!.recipients[0]!.lastError!.length).toBe(1000);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(1024 * 1024);
    expect(queueListResultSchema.safeParse(result).success).toBe(true);
  });
});

describe("hub.command on a running agent", () => {
  let hub: FakeHub;
  let dns: TestDnsServer;
  let state: Awaited<ReturnType<typeof tempDir>>;
  let agent: RunningAgent;

  beforeAll(async () => {
    hub = await FakeHub.start({ heartbeatIntervalMs: 1000 });
    dns = await TestDnsServer.start();
    dns.mx("down.test", "mx.down.test").a("mx.down.test", "127.0.0.2"); // nothing listens: 4xx, retried
    state = await tempDir("mw-commands-");
    await enroll({
      url: hub.url,
      token: VALID_TOKEN,
      hostname: "mx.agent.test",
      agentVersion: "0.1.0",
      stateDir: state.dir,
    });
    agent = await startTestAgent(
      state.dir,
      {
        dnsServers: [dns.address],
        delivery: { retryScheduleOverrideMinutes: [60, 60], queueRunIntervalMs: 200, connectTimeoutMs: 2000 },
        reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      },
      true,
    );
    const off = { spfCheck: "off", dmarcCompliance: "off", dkimVerify: false, dkimSigning: false } as const;
    expect(
      await agent.applyConfig(1, agentConfig([{ name: "example.test", policy: off, mailboxes: {} }], off)),
    ).toEqual({ ok: true, revision: 1 });
    await waitFor(() => hub.current, 5000, "hello");
  });
  afterAll(async () => {
    await agent?.stop();
    await hub?.close();
    await dns?.close();
    await state?.remove();
  });

  let serial = 0;
  async function command(command: HubCommand | Record<string, unknown>) {
    const commandId = `cmd-${++serial}`;
    hub.send({ type: "hub.command", commandId, command });
    return waitFor(
      () => hub.messages("agent.command.result").find((m) => m.commandId === commandId),
      10_000,
      `the answer to ${commandId}`,
    );
  }

  it("lists a deferred message, retries it, deletes it", async () => {
    const entry = await agent.delivery.submit(
      { mailFrom: "alice@example.test", recipients: [{ address: "x@down.test" }] },
      Buffer.from("From: alice@example.test\r\nTo: x@down.test\r\nSubject: stuck\r\n\r\nHello.\r\n"),
    );
    await waitFor(
      () => agent.delivery.list().entries.find((e) => e.id === entry.id)?.recipients[0]?.attempts === 1,
      10_000,
      "a first failed attempt",
    );

    const listed = await command({ type: "queue.list" });
    expect(listed.ok).toBe(true);
    const result = queueListResultSchema.parse(listed.result);
    expect(result).toMatchObject({ size: 1, oldestAt: entry.receivedAt });
    expect(result.entries[0]).toMatchObject({
      id: entry.id,
      from: "alice@example.test",
      recipientCount: 1,
      recipients: [{ address: "x@down.test", state: "pending", attempts: 1 }],
    });
    expect(result.entries[0]!.recipients[0]!.lastError).toMatch(/^4\d\d/);
    expect(Date.parse(result.entries[0]!.recipients[0]!.nextAttemptAt!)).toBeGreaterThan(
      Date.now() + 50 * 60_000,
    );

    expect(await command({ type: "queue.retry", ids: [entry.id, "NOSUCH"] })).toMatchObject({
      ok: true,
      result: { done: [entry.id], missing: ["NOSUCH"] },
    });
    await waitFor(() => agent.delivery.list().entries[0]?.recipients[0]?.attempts === 2, 10_000, "the retry");
    expect(await command({ type: "queue.resetRetries" })).toMatchObject({ ok: true, result: { count: 1 } });
    expect(await command({ type: "queue.delete", ids: [entry.id] })).toMatchObject({
      ok: true,
      result: { done: [entry.id], missing: [] },
    });
    expect(agent.delivery.list().size).toBe(0);
    expect(await command({ type: "queue.list" })).toMatchObject({
      ok: true,
      result: { size: 0, oldestAt: null, entries: [] },
    });
  });

  it("answers unknown and malformed commands with ok:false and keeps the session", async () => {
    expect(await command({ type: "queue.purgeEverything" })).toEqual({
      type: "agent.command.result",
      commandId: expect.any(String),
      ok: false,
      error: 'unknown command "queue.purgeEverything"',
    });
    const malformed = await command({ type: "queue.delete", ids: ["../../etc"] });
    expect(malformed).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid command: .*ids/) });
    const sessions = hub.connections.length;
    expect(await command({ type: "queue.list" })).toMatchObject({ ok: true });
    expect(hub.connections.length).toBe(sessions);
    expect(agent.hub?.state).toBe("connected");
  });
});
