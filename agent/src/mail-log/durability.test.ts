// The mail log's promise across a kill -9 (issue 13): the real agent process records decisions (configs
// the hub pushes, each answered only after its policy.applied record is written, and SMTP sessions whose
// refusals are recorded before the reply), part of them reaches the hub and is acknowledged, then the
// agent is killed with SIGKILL right after the last reply. Started again, it ships what the hub has not acknowledged — every sequence number stored
// exactly once, none lost, none sent again after its acknowledgement.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { enroll } from "../hub/enroll";
import { emptyTestZone } from "../test-support/dns-zone";
import { FakeHub, VALID_TOKEN } from "../test-support/fake-hub";
import { agentConfig, loopbackSettings, tempDir, waitFor } from "../test-support/fixtures";
import { freePort } from "../test-support/ports";
import { SmtpDialog } from "../test-support/smtp-dialog";
import { mailLogDir } from "./spool";

const launcher = fileURLToPath(new URL("../../bin/mailwarden-agent.mjs", import.meta.url));
const SESSIONS = 10;
const children: ChildProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  while (cleanups.length) await cleanups.pop()!();
});

function runAgent(configPath: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [launcher, "run", "--config", configPath], {
    env: { ...process.env, MAILWARDEN_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function savedAckedSeq(stateDir: string): Promise<number> {
  const text = await readFile(path.join(mailLogDir(stateDir), "acked.json"), "utf8").catch(() => "{}");
  return (JSON.parse(text) as { ackedSeq?: number }).ackedSeq ?? 0;
}

describe("mail log across SIGKILL", () => {
  it("loses no record recorded before a kill -9 and ships each exactly once after the restart", async () => {
    const hub = await FakeHub.start({ logAcks: false });
    const state = await tempDir("mw-mail-log-kill-");
    cleanups.push(() => hub.close(), state.remove);
    const stateDir = path.join(state.dir, "state");
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await enroll({
      url: hub.url,
      token: VALID_TOKEN,
      hostname: "mx.kill.test",
      agentVersion: "0.1.0",
      stateDir,
    });
    const configPath = path.join(state.dir, "agent.json");
    const settings = loopbackSettings(stateDir, {
      hostname: "mx.kill.test",
      dnsServers: [(await emptyTestZone()).address],
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      smtp: { greetingDelayMs: 0 },
    });
    const inbound = await freePort();
    settings.listeners!.inbound = { port: inbound, host: "127.0.0.1" };
    await writeFile(configPath, JSON.stringify(settings));
    const config = agentConfig([]);
    const push = async (from: number, to: number) => {
      for (let revision = from; revision <= to; revision += 1)
        hub.send({ type: "hub.config.apply", revision, config });
      await waitFor(
        () => hub.messages("agent.config.applied").some((m) => m.revision === to),
        15_000,
        `revision ${to} applied`,
      );
    };

    // first run: 20 records reach the hub and are acknowledged, 20 more are recorded, then kill -9
    const first = runAgent(configPath);
    await waitFor(() => hub.current, 15_000, `the agent to say hello (${first.output()})`);
    await push(1, 20);
    await waitFor(
      () => {
        hub.ackLogBatches();
        return hub.storedLogs.size >= 20;
      },
      10_000,
      "the first 20 records acknowledged",
    );
    await waitFor(async () => (await savedAckedSeq(stateDir)) >= 20, 10_000, "the saved watermark");
    await push(21, 40);
    // SMTP sessions refused at RCPT (no local domains): the kill comes right after the last refusal
    const refusedCodes: number[] = [];
    for (let n = 1; n <= SESSIONS; n += 1) {
      const { dialog } = await SmtpDialog.connect(inbound);
      await dialog.command("EHLO client.kill.test");
      await dialog.command("MAIL FROM:<sender@elsewhere.test>");
      refusedCodes.push((await dialog.command(`RCPT TO:<nobody${n}@not-here.test>`)).code);
      dialog.close();
    }
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    const batchesBeforeKill = hub.messages("agent.logs").length;

    // second run: the rest arrives, once
    hub.logAcks = true;
    const second = runAgent(configPath);
    await waitFor(
      () =>
        [...hub.storedLogs.values()].filter((r) => r.type === "rcpt.to").length >= SESSIONS &&
        [...hub.storedLogs.values()].filter((r) => r.type === "policy.applied").length >= 40,
      15_000,
      `the rest of the records after the restart (${second.output()})`,
    );
    const lastSeq = Math.max(...hub.storedLogs.keys());
    await waitFor(async () => (await savedAckedSeq(stateDir)) >= lastSeq, 10_000, "the final watermark");
    second.child.kill("SIGTERM");
    await new Promise((resolve) => second.child.once("exit", resolve));

    const seqs = [...hub.storedLogs.keys()].sort((a, b) => a - b);
    expect(refusedCodes.every((code) => code >= 500)).toBe(true);
    const refusedRecipients = [...hub.storedLogs.values()].flatMap((r) =>
      r.type === "rcpt.to" && r.outcome === "refused" ? [r.to] : [],
    );
    expect(refusedRecipients.sort()).toEqual(
      Array.from({ length: SESSIONS }, (_, i) => `nobody${i + 1}@not-here.test`).sort(),
    );
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const revisions = [...hub.storedLogs.values()].flatMap((r) =>
      r.type === "policy.applied" ? [r.revision] : [],
    );
    expect(revisions.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect([...hub.storedLogs.values()].some((r) => r.type === "gap")).toBe(false);
    expect(hub.logsResentAfterAck).toEqual([]);
    // after the restart nothing acknowledged was sent again
    const afterRestart = hub
      .messages("agent.logs")
      .slice(batchesBeforeKill)
      .flatMap((m) => m.records);
    expect(afterRestart.every((record) => record.seq > 20)).toBe(true);
  }, 60_000);
});
