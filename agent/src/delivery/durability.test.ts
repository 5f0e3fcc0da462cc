// The promise behind every 250 (issue item 7): the real agent process takes a burst of concurrent mail,
// is killed with SIGKILL in the middle of it, and is started again. Once its queue has drained, every
// message the agent answered 250 is in the mailbox exactly once — none lost, none delivered twice — and
// no message at all (acknowledged or not) appears twice.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { afterAll, describe, expect, it } from "vitest";
import { maildirPath } from "../maildir/maildir";
import { queueSize } from "../queue/queue";
import { persistAppliedConfig } from "../state/applied-config";
import { TestDnsServer } from "../test-support/dns-zone";
import { agentConfig, hashPassword, loopbackSettings, tempDir, waitFor } from "../test-support/fixtures";
import { freePort } from "../test-support/ports";

const launcher = fileURLToPath(new URL("../../bin/mailwarden-agent.mjs", import.meta.url));
const SENDERS = 40;
const KILL_AFTER_ACKS = 600;
const MAX_LOAD_MS = 8000;

const children: ChildProcess[] = [];
let state: Awaited<ReturnType<typeof tempDir>> | undefined;
let dns: TestDnsServer | undefined;

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await dns?.close();
  await state?.remove();
});

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

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

/** Subject ids of every message in the mailbox (new/ and cur/). */
async function mailboxIds(stateDir: string): Promise<string[]> {
  const root = maildirPath(stateDir, { domain: "load.test", localPart: "sink" });
  const ids: string[] = [];
  for (const sub of ["new", "cur"]) {
    const names = await readdir(path.join(root, sub)).catch(() => [] as string[]);
    for (const name of names) {
      const text = await readFile(path.join(root, sub, name), "utf8");
      const match = /^Subject: load (\S+)$/m.exec(text);
      if (!match) throw new Error(`message without a load id: ${name}`);
      ids.push(match[1]!);
    }
  }
  return ids;
}

describe("durability under SIGKILL", () => {
  it("delivers every message that got a 250 exactly once after a kill -9 mid-load and a restart", async () => {
    state = await tempDir("mw-durability-");
    dns = await TestDnsServer.start();
    const stateDir = path.join(state.dir, "state");
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const off = { spfCheck: "off", dmarcCompliance: "off", dkimVerify: false, dkimSigning: false } as const;
    await persistAppliedConfig(stateDir, {
      revision: 1,
      config: agentConfig(
        [
          {
            name: "load.test",
            policy: off,
            mailboxes: { sink: await hashPassword("sink-Unused-password-1") },
          },
        ],
        off,
      ),
    });
    const inbound = await freePort();
    const settings = loopbackSettings(stateDir, {
      hostname: "mx.durability.test",
      dnsServers: [dns.address],
    });
    settings.listeners!.inbound = { port: inbound, host: "127.0.0.1" };
    const configPath = path.join(state.dir, "agent.json");
    await writeFile(configPath, JSON.stringify(settings));

    // first run: load, then SIGKILL while the senders are still sending
    const first = runAgent(configPath);
    await waitFor(() => accepts(inbound), 15_000, `the agent to listen (${first.output()})`);
    const acknowledged: string[] = [];
    const unanswered: string[] = [];
    let killed = false;
    const startedAt = Date.now();
    let killedAt = 0;
    const sender = async (worker: number) => {
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: inbound,
        pool: true,
        maxConnections: 1,
        maxMessages: Infinity,
        ignoreTLS: true,
      });
      try {
        for (let n = 0; !killed && Date.now() - startedAt < MAX_LOAD_MS; n += 1) {
          const id = `w${worker}-m${n}`;
          try {
            const info = await transport.sendMail({
              envelope: { from: `load${worker}@sender.test`, to: ["sink@load.test"] },
              from: `load${worker}@sender.test`,
              to: "sink@load.test",
              subject: `load ${id}`,
              text: `message ${id}\n`.repeat(20),
            });
            if (/^250 /.test(info.response)) acknowledged.push(id);
            else unanswered.push(id);
          } catch {
            unanswered.push(id);
            if (killed) return;
          }
        }
      } finally {
        transport.close();
      }
    };
    const load = Promise.all(Array.from({ length: SENDERS }, (_, worker) => sender(worker)));
    await waitFor(() => acknowledged.length >= KILL_AFTER_ACKS, MAX_LOAD_MS, "enough acknowledged messages");
    first.child.kill("SIGKILL");
    killed = true;
    killedAt = Date.now();
    await new Promise((resolve) => first.child.once("exit", resolve));
    await load;
    const acceptedPerSecond = Math.round((acknowledged.length / (killedAt - startedAt)) * 1000);
    const leftInQueue = await queueSize(stateDir);
    const beforeRestart = (await mailboxIds(stateDir)).length;

    // second run: recovers the queue and drains it
    const second = runAgent(configPath);
    await waitFor(() => accepts(inbound), 15_000, `the agent to listen again (${second.output()})`);
    await waitFor(async () => (await queueSize(stateDir)) === 0, 15_000, "the queue to drain");
    second.child.kill("SIGTERM");
    await new Promise((resolve) => second.child.once("exit", resolve));

    const delivered = await mailboxIds(stateDir);
    const counts = new Map<string, number>();
    for (const id of delivered) counts.set(id, (counts.get(id) ?? 0) + 1);
    const duplicated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
    const lost = acknowledged.filter((id) => !counts.has(id));
    console.info(
      `durability: ${acknowledged.length} acknowledged in ${killedAt - startedAt} ms (${acceptedPerSecond}/s, ` +
        `${SENDERS} concurrent sessions), ${unanswered.length} cut off by the kill, ${leftInQueue} left in the ` +
        `queue and ${beforeRestart} in the mailbox at the kill, ${delivered.length} in the mailbox after the restart`,
    );
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    // nothing appears that was never sent
    const sent = new Set([...acknowledged, ...unanswered]);
    expect(delivered.filter((id) => !sent.has(id))).toEqual([]);
  }, 60_000);
});
