// Row 21 from the dashboard's side: a real agent enrolled with a (fake) hub reports the block an attacker
// earned with bad passwords (abuse.list and the posture), and lifts it on abuse.lift: the address may
// connect again at once.
import { afterAll, beforeAll, expect, it } from "vitest";
import { abuseListResultSchema, type HubCommand } from "@mailwarden/protocol";
import type { RunningAgent } from "../agent";
import { RawSession } from "../smtp/hostile/raw-session";
import { FakeHub, VALID_TOKEN } from "../test-support/fake-hub";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { swaks } from "../test-support/swaks";
import { enroll } from "./enroll";

let hub: FakeHub;
let state: Awaited<ReturnType<typeof tempDir>>;
let agent: RunningAgent;

beforeAll(async () => {
  hub = await FakeHub.start({ heartbeatIntervalMs: 1000 });
  state = await tempDir("mw-abuse-commands-");
  await enroll({
    url: hub.url,
    token: VALID_TOKEN,
    hostname: "mx.agent.test",
    agentVersion: "0.1.0",
    stateDir: state.dir,
  });
  agent = await startTestAgent(state.dir, { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } }, true);
  const config = agentConfig(
    [{ name: "example.test", mailboxes: { ann: await hashPassword("Ann-Correct-1") } }],
    {
      abuseBruteForce: { enabled: true, failures: 2, minutes: 10, blockMinutes: 30 },
    },
  );
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
  await waitFor(() => hub.current, 5000, "hello");
});

afterAll(async () => {
  await agent?.stop();
  await hub?.close();
  await state?.remove();
});

let serial = 0;
async function command(command: HubCommand) {
  const commandId = `abuse-${++serial}`;
  hub.send({ type: "hub.command", commandId, command });
  return waitFor(
    () => hub.messages("agent.command.result").find((m) => m.commandId === commandId),
    10_000,
    `the answer to ${commandId}`,
  );
}

async function greeting(from: string): Promise<string> {
  const session = await RawSession.connect(agent.ports.submission, { localAddress: from });
  const text = session.replies[0]!.text;
  session.destroy();
  return text;
}

it("lists a brute-force block with who, why and until when, and lifts it", async () => {
  const from = "127.0.0.51";
  for (const password of ["wrong-1", "wrong-2"]) {
    await swaks([
      ...["--server", "127.0.0.1", "--port", String(agent.ports.submission), "--tls"],
      ...["--local-interface", from, "--auth", "PLAIN", "--auth-user", "ann@example.test"],
      ...["--auth-password", password, "--from", "ann@example.test", "--to", "ann@example.test"],
    ]);
  }
  expect(await greeting(from)).toMatch(/^554 /);

  const listed = await command({ type: "abuse.list" });
  expect(listed.ok).toBe(true);
  const { blocks } = abuseListResultSchema.parse(listed.result);
  expect(blocks).toEqual([
    expect.objectContaining({
      kind: "ip",
      subject: from,
      rule: "ids.brute-force",
      action: "block",
      reason: "2 failed logins within 10 min",
    }),
  ]);
  const block = blocks[0]!;
  expect(Date.parse(block.until!) - Date.parse(block.since)).toBe(30 * 60_000);
  expect((await agent.posture()).abuseBlocks).toEqual(blocks);

  const posturesBefore = hub.messages("agent.posture").length;
  expect(await command({ type: "abuse.lift", ids: [block.id, "0123456789abcdef"] })).toMatchObject({
    ok: true,
    result: { done: [block.id], missing: ["0123456789abcdef"] },
  });
  expect(await greeting(from)).toMatch(/^220 /);
  // The dashboard hears of the lift at once, not at the next scheduled posture.
  await waitFor(() => hub.messages("agent.posture").length > posturesBefore, 2000, "a fresh posture");
  expect(hub.messages("agent.posture").at(-1)!.posture.abuseBlocks).toEqual([]);
  expect(await command({ type: "abuse.list" })).toMatchObject({ ok: true, result: { blocks: [] } });
});
