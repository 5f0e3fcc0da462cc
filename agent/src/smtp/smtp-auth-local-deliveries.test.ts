// Row 4 as it shows on the inbound port: a session that has not logged in cannot hand a local mailbox
// mail "from" a local address (530), even in a domain that turned row 2 off; turned off on both sides
// it can. Outside senders are untouched, and with row 2 on the refusal already comes at MAIL FROM.
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { agentConfig, hashPassword, startTestAgent, tempDir } from "../test-support/fixtures";
import { deliveredMessage } from "../test-support/mailbox";
import { swaks } from "../test-support/swaks";

const PASSWORD = "Correct-horse-battery-1";

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  state = await tempDir();
  agent = await startTestAgent(state.dir);
  const hash = await hashPassword(PASSWORD);
  const config = agentConfig([
    // Row 2 off, row 4 on (its default): outside services may send as open.test, but not to its users.
    { name: "open.test", policy: { requireSmtpAuth: false }, mailboxes: { carol: hash } },
    {
      name: "legacy.test",
      policy: { requireSmtpAuth: false, smtpAuthForLocalDeliveries: false },
      mailboxes: { lee: hash, lou: hash },
    },
    { name: "strict.test", mailboxes: { sam: hash } },
  ]);
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

function inbound(from: string, to: string, subject: string) {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.inbound)],
    ...["--from", from, "--to", to, "--header", `Subject: ${subject}`],
  ]);
}

describe("SMTP auth for local deliveries (row 4)", () => {
  it("refuses an unauthenticated local sender to a local mailbox with 530 at RCPT", async () => {
    const result = await inbound("carol@open.test", "carol@open.test", "spoofed colleague");
    expect(result.exitCode).toBe(24);
    expect(result.output).toContain("530 5.7.0 Authentication required for mail between local addresses");
  });

  it("refuses it when only the recipient's domain has it on", async () => {
    const result = await inbound("lee@legacy.test", "carol@open.test", "from legacy");
    expect(result.exitCode).toBe(24);
    expect(result.output).toContain("530 5.7.0");
  });

  it("accepts it when both domains turned it off", async () => {
    const result = await inbound("lee@legacy.test", "lou@legacy.test", "scanner to lou");
    expect(result.exitCode).toBe(0);
    await deliveredMessage(state.dir, "legacy.test", "lou", "Subject: scanner to lou");
  });

  it("leaves outside senders alone", async () => {
    const result = await inbound("friend@remote.test", "carol@open.test", "from a friend");
    expect(result.exitCode).toBe(0);
    await deliveredMessage(state.dir, "open.test", "carol", "Subject: from a friend");
  });

  it("accepts the same mail once the sender logs in", async () => {
    const client = nodemailer.createTransport({
      host: "127.0.0.1",
      port: agent.ports.submission,
      requireTLS: true,
      auth: { user: "carol@open.test", pass: PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    try {
      await client.sendMail({
        from: "carol@open.test",
        to: "carol@open.test",
        subject: "note to self",
        text: "logged in",
      });
    } finally {
      client.close();
    }
    await deliveredMessage(state.dir, "open.test", "carol", "Subject: note to self");
  });

  it("with row 2 on, the refusal comes earlier, at MAIL FROM (require-smtp-auth)", async () => {
    const result = await inbound("sam@strict.test", "sam@strict.test", "row 2 first");
    expect(result.exitCode).toBe(23);
    expect(result.output).toContain("530 5.7.0 Authentication required");
  });
});
