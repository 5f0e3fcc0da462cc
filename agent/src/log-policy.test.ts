// Row 23 as an admin reading the agent's records notices it: under "detailed" every SMTP decision and
// every delivery is recorded with its rule id; under "normal" only refusals and failures; under "off"
// nothing about sessions or deliveries. A real agent, real swaks sessions, the agent's real log stream.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogLevel } from "@mailwarden/policy";
import { startAgent, type RunningAgent } from "./agent";
import { queueSize } from "./queue/queue";
import { emptyTestZone } from "./test-support/dns-zone";
import { agentConfig, hashPassword, loopbackSettings, tempDir, waitFor } from "./test-support/fixtures";
import { deliveredMessage } from "./test-support/mailbox";
import { swaks } from "./test-support/swaks";

interface LogRecord {
  component?: string;
  rule?: string;
  outcome?: string;
  recipient?: string;
  local?: string[];
  to?: string;
  msg: string;
}

const records: LogRecord[] = [];
let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;
let revision = 0;

beforeAll(async () => {
  state = await tempDir();
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) },
  );
  agent = await startAgent({
    config: loopbackSettings(state.dir, { dnsServers: [(await emptyTestZone()).address] }),
    logger,
    connectToHub: false,
  });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

async function applyLogLevel(level: LogLevel): Promise<void> {
  revision += 1;
  const hash = await hashPassword("unused-Password-1");
  const config = agentConfig(
    [{ name: "example.test", mailboxes: { detailed: hash, normal: hash, off: hash } }],
    { smtpLogLevel: level, deliveryLogLevel: level },
  );
  expect(await agent.applyConfig(revision, config)).toEqual({ ok: true, revision });
}

function inbound(to: string) {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.inbound)],
    ...["--from", "friend@remote.test", "--to", to, "--header", `Subject: for ${to}`],
  ]);
}

/** A refused relay attempt and an accepted message for the level's own mailbox, once delivered. */
async function traffic(level: LogLevel) {
  const relayTarget = `${level}@elsewhere.test`;
  const mailbox = `${level}@example.test`;
  expect((await inbound(relayTarget)).exitCode).toBe(24);
  expect((await inbound(mailbox)).exitCode).toBe(0);
  await deliveredMessage(state.dir, "example.test", level, `Subject: for ${mailbox}`);
  // The worker records a delivery before it removes the queue entry: an empty queue means all is said.
  await waitFor(async () => (await queueSize(state.dir)) === 0, 5000, "an empty queue");
  return {
    refusal: records.filter((record) => record.to === relayTarget && record.rule === "relay"),
    acceptance: records.filter(
      (record) => record.msg === "message accepted" && record.local?.includes(mailbox),
    ),
    delivery: records.filter((record) => record.recipient === mailbox && record.outcome === "delivered"),
  };
}

describe("logging levels (row 23)", () => {
  it("detailed (the default): refusals, accepted messages and deliveries are all recorded", async () => {
    await applyLogLevel("detailed");
    const seen = await traffic("detailed");
    expect(seen.refusal).toMatchObject([{ component: "smtp", outcome: "reject" }]);
    expect(seen.acceptance).toHaveLength(1);
    expect(seen.delivery).toMatchObject([{ component: "delivery" }]);
  });

  it("normal: the refusal is recorded, the accepted message and its delivery are not", async () => {
    await applyLogLevel("normal");
    const seen = await traffic("normal");
    expect(seen.refusal).toMatchObject([{ component: "smtp", outcome: "reject" }]);
    expect(seen.acceptance).toEqual([]);
    expect(seen.delivery).toEqual([]);
  });

  it("off: nothing about the sessions or the delivery is recorded", async () => {
    await applyLogLevel("off");
    const seen = await traffic("off");
    expect(seen).toEqual({ refusal: [], acceptance: [], delivery: [] });
  });
});
