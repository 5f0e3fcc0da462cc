// The greeting pause against the real listeners: a client that talks before the inbound greeting gets
// 421 and is closed; one that waited is greeted at once on its next connection (postscreen's memory);
// submission clients are never paused, so talking first there is simply answered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../../agent";
import { startTestAgent, tempDir } from "../../test-support/fixtures";
import { GreetingPause } from "./early-talker";
import { RawSession } from "./raw-session";

// long enough that a command written right after connecting surely arrives inside it
const PAUSE_MS = 1500;

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  state = await tempDir();
  // DNS (blocklists, rDNS at connect) from an empty zone on loopback, never the host's resolver
  agent = await startTestAgent(state.dir, { smtp: { greetingDelayMs: PAUSE_MS, greetingMemoryHours: 1 } });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

/** Connects and writes EHLO before anything was read: what a spam bot does. */
async function talkFirst(port: number, localAddress: string): Promise<RawSession> {
  const session = await RawSession.connect(port, { localAddress, waitForGreeting: false });
  await session.write("EHLO bot.test\r\n");
  return session;
}

describe("inbound greeting pause", () => {
  it("answers a client that talks before the greeting with 421 and closes", async () => {
    const session = await talkFirst(agent.ports.inbound, "127.0.0.21");
    await session.waitForClose();
    expect(session.replies.map((reply) => reply.code)).toContain(421);
    expect(session.replies.some((reply) => /talk too soon/i.test(reply.text))).toBe(true);
    expect(session.replies.some((reply) => reply.code === 250)).toBe(false);
  });

  it("greets a client that waited once without the pause afterwards", async () => {
    const polite = await RawSession.connect(agent.ports.inbound, { localAddress: "127.0.0.22" });
    expect(polite.replies[0]!.code).toBe(220);
    expect((await polite.command("QUIT")).code).toBe(221);

    const again = await talkFirst(agent.ports.inbound, "127.0.0.22");
    const [greeting, ehlo] = await again.waitForReplies(2);
    expect(greeting!.code).toBe(220);
    expect(ehlo!.code).toBe(250);
    again.destroy();

    // another address has not earned it
    const stranger = await talkFirst(agent.ports.inbound, "127.0.0.23");
    await stranger.waitForClose();
    expect(stranger.replies.map((reply) => reply.code)).toContain(421);
  });

  it("never pauses the submission port", async () => {
    const session = await talkFirst(agent.ports.submission, "127.0.0.24");
    const [greeting, ehlo] = await session.waitForReplies(2);
    expect(greeting!.code).toBe(220);
    expect(ehlo!.code).toBe(250);
    session.destroy();
  });
});

describe("GreetingPause memory", () => {
  it("forgets an address after its time, or when it talks early", () => {
    const pause = new GreetingPause(100, 1);
    const start = 1_000_000;
    expect(pause.delayFor("192.0.2.1", start)).toBe(100);
    pause.passed("192.0.2.1", start);
    expect(pause.delayFor("192.0.2.1", start + 1000)).toBe(0);
    expect(pause.delayFor("192.0.2.1", start + 3_600_001)).toBe(100);
    pause.passed("192.0.2.1", start);
    pause.talkedEarly("192.0.2.1");
    expect(pause.delayFor("192.0.2.1", start + 1000)).toBe(100);
  });
});
