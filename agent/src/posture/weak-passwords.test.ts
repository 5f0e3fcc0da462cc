// Row 14 for passwords set before the policy was tightened: a real SMTP login with a password the
// domain's policy refuses puts the mailbox in the posture the dashboard reads, with the reasons; a
// login with a good password (after the user changed it) takes it out again; a failed login changes
// nothing.
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { agentConfig, hashPassword, startTestAgent, tempDir } from "../test-support/fixtures";

const WEAK = "sunshine1";
const STRONG = "Walrus-ferry-Copper-81";
let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  state = await tempDir();
  agent = await startTestAgent(state.dir);
  const config = agentConfig([{ name: "weak.test", mailboxes: { carol: await hashPassword(WEAK) } }]);
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

async function login(password: string): Promise<boolean> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.submission,
    secure: false,
    requireTLS: true,
    auth: { user: "carol@weak.test", pass: password },
    tls: { rejectUnauthorized: false },
  });
  try {
    return await transport.verify();
  } catch {
    return false;
  } finally {
    transport.close();
  }
}

describe("weak mailbox passwords in the posture", () => {
  it("flags a mailbox whose login used a password the policy refuses, with the reasons", async () => {
    expect((await agent.posture()).weakPasswords).toEqual([]);
    expect(await login("not-the-password")).toBe(false);
    expect((await agent.posture()).weakPasswords).toEqual([]);

    expect(await login(WEAK)).toBe(true);
    const [flag] = (await agent.posture()).weakPasswords!;
    expect(flag?.address).toBe("carol@weak.test");
    expect(flag?.problems).toEqual(
      expect.arrayContaining(["Use at least 12 characters.", expect.stringMatching(/^Mix at least 3 of/)]),
    );
  });

  it("clears the flag once the mailbox logs in with a password that meets the policy", async () => {
    const config = agentConfig([{ name: "weak.test", mailboxes: { carol: await hashPassword(STRONG) } }]);
    expect(await agent.applyConfig(2, config)).toEqual({ ok: true, revision: 2 });
    expect(await login(STRONG)).toBe(true);
    expect((await agent.posture()).weakPasswords).toEqual([]);
  });
});
