// Row 20 as a sending user notices it: past the mailbox's (its own when stricter) or the domain's
// hourly limit the next message is deferred (451, "delay") or refused (550, "reject"), extra
// recipients are refused at RCPT, and parallel sessions racing for the last slots get exactly as many
// through as the limit allows.
// Real nodemailer clients on the submission port of a real agent.
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Policy } from "@mailwarden/policy";
import type { RunningAgent } from "../agent";
import { agentConfig, hashPassword, startTestAgent, tempDir } from "../test-support/fixtures";
import { swaks } from "../test-support/swaks";

const PASSWORD = "Correct-horse-battery-1";

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;

function throttle(overrides: Partial<Policy["outboundThrottle"]>): Partial<Policy> {
  return {
    outboundThrottle: {
      action: "delay",
      mailboxMessagesPerHour: 100,
      mailboxMessagesPerDay: 100,
      domainMessagesPerHour: 100,
      domainMessagesPerDay: 100,
      recipientsPerMessage: 10,
      ...overrides,
    },
  };
}

beforeAll(async () => {
  state = await tempDir();
  agent = await startTestAgent(state.dir);
  const hash = await hashPassword(PASSWORD);
  const config = agentConfig([
    {
      name: "burst.test",
      policy: throttle({ mailboxMessagesPerHour: 3, recipientsPerMessage: 2 }),
      mailboxes: { amy: hash, ann: hash, rx1: hash, rx2: hash, rx3: hash },
    },
    {
      name: "team.test",
      policy: throttle({ domainMessagesPerHour: 4 }),
      mailboxes: { ben: hash, bea: hash },
    },
    {
      name: "own.test",
      policy: throttle({ mailboxMessagesPerHour: 3 }),
      mailboxes: { cap: hash, free: hash, loose: hash },
      sendingLimits: { cap: { messagesPerHour: 2 }, loose: { messagesPerHour: 50 } },
    },
    {
      name: "hard.test",
      policy: throttle({ action: "reject", mailboxMessagesPerHour: 1, recipientsPerMessage: 1 }),
      mailboxes: { hal: hash, hil: hash },
    },
  ]);
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

interface SendFailure {
  responseCode?: number;
  response?: string;
}

async function send(user: string, to: string | string[] = "rx1@burst.test", subject = "hello") {
  const client = nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.submission,
    requireTLS: true,
    auth: { user, pass: PASSWORD },
    tls: { rejectUnauthorized: false },
  });
  try {
    return await client.sendMail({ from: user, to, subject, text: "counted" });
  } finally {
    client.close();
  }
}

function failure(promise: Promise<unknown>): Promise<SendFailure> {
  return promise.then(
    () => ({}),
    (error: unknown) => error as SendFailure,
  );
}

describe("outbound throttling (row 20), action delay", () => {
  it("defers the message after the mailbox's hourly limit with 451, before DATA", async () => {
    for (let index = 0; index < 3; index++) await send("amy@burst.test");
    const error = await failure(send("amy@burst.test"));
    expect(error.responseCode).toBe(451);
    expect(error.response).toContain("4.7.1 Sending limit reached: 3 messages per hour for this mailbox");
  });

  it("counts each mailbox on its own: another user of the domain still sends", async () => {
    expect((await send("ann@burst.test")).accepted).toEqual(["rx1@burst.test"]);
  });

  it("holds a mailbox to its own, stricter limit while the domain's other mailboxes keep theirs", async () => {
    for (let index = 0; index < 2; index++) await send("cap@own.test");
    const error = await failure(send("cap@own.test"));
    expect(error.responseCode).toBe(451);
    expect(error.response).toContain("4.7.1 Sending limit reached: 2 messages per hour for this mailbox");
    for (let index = 0; index < 3; index++) {
      expect((await send("free@own.test")).accepted).toEqual(["rx1@burst.test"]);
    }
  });

  it("never lets a mailbox's own limit loosen the domain's", async () => {
    for (let index = 0; index < 3; index++) await send("loose@own.test");
    const error = await failure(send("loose@own.test"));
    expect(error.responseCode).toBe(451);
    expect(error.response).toContain("3 messages per hour for this mailbox");
  });

  it("counts the domain as a whole", async () => {
    await send("ben@team.test", "rx1@burst.test");
    await send("bea@team.test", "rx1@burst.test");
    await send("ben@team.test", "rx1@burst.test");
    await send("bea@team.test", "rx1@burst.test");
    const error = await failure(send("ben@team.test", "rx1@burst.test"));
    expect(error.responseCode).toBe(451);
    expect(error.response).toContain("4 messages per hour for this domain");
  });

  it("refuses recipients past recipientsPerMessage with 452 and delivers to the others", async () => {
    const info = await send("ann@burst.test", ["rx1@burst.test", "rx2@burst.test", "rx3@burst.test"]);
    expect(info.accepted).toEqual(["rx1@burst.test", "rx2@burst.test"]);
    expect(info.rejected).toEqual(["rx3@burst.test"]);
  });

  it("lets exactly the remaining slot through when parallel sessions race for it", async () => {
    // ann has sent 2 of her 3; eight sessions at once: all pass MAIL FROM, one gets the last slot.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        failure(send("ann@burst.test", "rx1@burst.test", `race ${index}`)),
      ),
    );
    const codes = results.map((result) => result.responseCode ?? 250).sort();
    expect(codes).toEqual([250, 451, 451, 451, 451, 451, 451, 451]);
  });
});

describe("outbound throttling (row 20), action reject", () => {
  it("refuses the message past the limit with 550 and extra recipients with 550", async () => {
    const info = await send("hal@hard.test", ["hil@hard.test", "rx1@burst.test"]);
    expect(info.accepted).toEqual(["hil@hard.test"]);
    expect(info.rejectedErrors?.[0]).toMatchObject({ responseCode: 550 });
    expect(info.rejectedErrors?.[0]?.response).toContain("5.5.3 Too many recipients: at most 1 per message");
    const result = await swaks([
      ...["--server", "127.0.0.1", "--port", String(agent.ports.submission), "--tls"],
      ...["--auth", "PLAIN", "--auth-user", "hal@hard.test", "--auth-password", PASSWORD],
      ...["--from", "hal@hard.test", "--to", "hil@hard.test"],
    ]);
    expect(result.exitCode).toBe(23);
    expect(result.output).toContain("550 5.7.1 Sending limit reached: 1 messages per hour for this mailbox");
  });
});
