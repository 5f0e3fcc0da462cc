// Row 3 as a user of the submission port notices it: logged in as alice, mail goes out only as alice
// (MAIL FROM and the From header), under "domain" as anyone of her domain, under "off" as anyone.
// Real clients (swaks, nodemailer) against a real agent on loopback.
import nodemailer, { type SendMailOptions } from "nodemailer";
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
    { name: "example.test", mailboxes: { alice: hash, bob: hash } },
    { name: "team.test", policy: { requireAuthMatch: "domain" }, mailboxes: { dee: hash, ops: hash } },
    { name: "legacy.test", policy: { requireAuthMatch: "off" }, mailboxes: { lee: hash } },
  ]);
  expect(await agent.applyConfig(1, config)).toEqual({ ok: true, revision: 1 });
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

/** swaks over STARTTLS on 587, logged in as `user`, with MAIL FROM `from`. */
function submit(user: string, from: string, extra: string[] = []) {
  return swaks([
    ...["--server", "127.0.0.1", "--port", String(agent.ports.submission), "--tls"],
    ...["--auth", "PLAIN", "--auth-user", user, "--auth-password", PASSWORD],
    ...["--from", from, "--to", "bob@example.test", ...extra],
  ]);
}

function transport(user: string) {
  return nodemailer.createTransport({
    host: "127.0.0.1",
    port: agent.ports.submission,
    requireTLS: true,
    auth: { user, pass: PASSWORD },
    tls: { rejectUnauthorized: false },
  });
}

async function send(user: string, mail: SendMailOptions) {
  const client = transport(user);
  try {
    return await client.sendMail({ to: "bob@example.test", text: "hello", ...mail });
  } finally {
    client.close();
  }
}

describe("require auth match: address (the default)", () => {
  it("delivers mail sent as the logged-in user", async () => {
    const info = await send("alice@example.test", { from: "alice@example.test", subject: "as myself" });
    expect(info.response).toMatch(/^250 /);
    await deliveredMessage(state.dir, "example.test", "bob", "Subject: as myself");
  });

  it("refuses MAIL FROM of another address with 553", async () => {
    const result = await submit("alice@example.test", "bob@example.test");
    expect(result.exitCode).toBe(23);
    expect(result.output).toContain(
      "553 5.7.1 Sender address rejected: not owned by user alice@example.test",
    );
  });

  it("refuses the null sender from a logged-in user", async () => {
    const result = await submit("alice@example.test", "<>");
    expect(result.exitCode).toBe(23);
    expect(result.output).toContain("553 5.7.1");
  });

  it("refuses a forged From header after DATA, even with her own MAIL FROM", async () => {
    const error = await send("alice@example.test", {
      envelope: { from: "alice@example.test", to: "bob@example.test" },
      from: "The Boss <bob@example.test>",
      subject: "wire the money",
    }).catch((caught: unknown) => caught as { responseCode?: number; response?: string });
    expect(error).toMatchObject({ responseCode: 550 });
    expect((error as { response: string }).response).toContain(
      "5.7.1 From header rejected: not owned by user alice@example.test",
    );
  });

  it("refuses a message with a second author hidden in the From header", async () => {
    const result = await submit("alice@example.test", "alice@example.test", [
      "--header",
      "From: alice@example.test, bob@example.test",
    ]);
    expect(result.exitCode).toBe(26);
    expect(result.output).toContain("550 5.7.1 From header rejected");
  });
});

describe("require auth match: domain and off", () => {
  it("domain: any address of the user's own domain, no other domain", async () => {
    const ok = await submit("dee@team.test", "ops@team.test", ["--header", "From: ops@team.test"]);
    expect(ok.exitCode).toBe(0);
    const refused = await submit("dee@team.test", "alice@example.test");
    expect(refused.exitCode).toBe(23);
    expect(refused.output).toContain("553 5.7.1 Sender address rejected: not owned by user dee@team.test");
  });

  it("off: the domain's users may send as anyone", async () => {
    const result = await submit("lee@legacy.test", "alice@example.test", [
      "--header",
      "From: alice@example.test",
      "--header",
      "Subject: legacy relay",
    ]);
    expect(result.exitCode).toBe(0);
    await deliveredMessage(state.dir, "example.test", "bob", "Subject: legacy relay");
  });
});
