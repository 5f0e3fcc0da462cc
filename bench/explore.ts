// Follow-up measurements behind the findings in RESULTS.md, one at a time (needs what bench/run.sh
// installs; strace for `syscalls`):
//   node --import tsx bench/explore.ts latency     reply time of each SMTP command, one session, 60 messages
//   node --import tsx bench/explore.ts syscalls    system calls of the agent per message (strace -c)
//   node --import tsx bench/explore.ts dns         the DNS queries the agent makes for one message
//   node --import tsx bench/explore.ts variants [sessions]
//       the same load (reused connections, 1 KiB) against agent variants taking turns: as is, state
//       directory on tmpfs (fsync costs nothing), mailauth in the main thread (authThreads 0),
//       UV_THREADPOOL_SIZE=16, log level warn; messages accepted and delivered per second
//   node --import tsx bench/explore.ts threads [sessions]
//       CPU per message of each of the agent's threads (main, mailauth workers, libuv's file-system
//       pool, V8's GC helpers) under the reused-connection 1 KiB load
//   node --import tsx bench/explore.ts warmup [sessions] [haraka|haraka-checks]
//       one fresh agent (or Haraka, or Haraka with SPF + DKIM + disk), ten turns of the reused-connection 1 KiB load: how msgs/s and CPU
//       per message change as the process warms up
//   node --import tsx bench/explore.ts profile [sessions] [1k|100k]
//       node --cpu-prof on a warmed-up agent under the reused-connection load: the top functions by
//       self time of every thread that was busy (the main thread and the mailauth worker)
//   node --import tsx bench/explore.ts floor [sessions] [1k|100k]
//       the floor under item 9's target: Haraka discarding, smtp-server alone discarding, smtp-server +
//       mailauth in one thread and in a worker thread (lib/floor-server.ts: no queue, rules, logs or
//       delivery) and the agent,
//       taking turns on the reused-connection load; msgs/s and CPU per message of each
// Every mode but `warmup` first warms its agents up until their rate stops climbing (lib/warm-up.ts).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { discardingPeer, prepareAgent, repoRoot, startAgentPeer, startHaraka, type Peer } from "./lib/peers";
import { CLOCK_TICKS, readProcStat } from "./lib/cpu";
import { freePort, startProcess, stopAll, waitForGreeting } from "./lib/procs";
import { summarizeProfile } from "./lib/profile";
import {
  makeSenderKeys,
  RECIPIENT,
  SENDER,
  SENDER_HELO,
  signedMessage,
  startDnsmasq,
  type RunningDns,
} from "./lib/sender";
import { runSmtpSource, type Load } from "./lib/source";
import { warmUntilSteady } from "./lib/warm-up";

const what = process.argv[2];
const work = await mkdtemp(path.join(os.tmpdir(), "mw-explore-"));
const keys = makeSenderKeys();
const messageFile = path.join(work, "message-1k.eml");
await writeFile(messageFile, await signedMessage(1024, keys, "1k"));
const dns = await startDnsmasq(work, await freePort(), keys, what === "dns" ? ["log-queries"] : []);
const reused = (sessions: number): Load => ({ id: "x", label: "x", sessions, reuse: true, size: "1k" });

async function agent(
  name: string,
  options: {
    env?: NodeJS.ProcessEnv;
    tmpfs?: boolean;
    settings?: Record<string, unknown>;
    nodeArgs?: string[];
  } = {},
): Promise<Peer> {
  const dir = options.tmpfs ? await mkdtemp("/dev/shm/mw-explore-") : path.join(work, name);
  const port = await freePort();
  const setup = await prepareAgent(dir, port, dns.server, options.settings);
  return startAgentPeer(dir, setup, port, { name, env: options.env, nodeArgs: options.nodeArgs });
}

/** One smtp-source run, then the wait until every message is stored; `deliveredPerSecond` counts both. */
async function send(peer: Peer, load: Load, messages: number, file = messageFile) {
  await peer.markStore();
  const started = performance.now();
  const result = await runSmtpSource(peer.port, load, messages, file);
  if (result.errors.length > 0) throw new Error(`${peer.name}: ${result.errors[0]}`);
  while (((await peer.stored()) ?? messages) < messages)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return { ...result, deliveredPerSecond: (messages * 1000) / (performance.now() - started) };
}

/** Turns of the reused-connection load until the peer's rate stops climbing (see lib/warm-up.ts). */
async function warm(peer: Peer, sessions: number): Promise<void> {
  const turns = await warmUntilSteady(
    async (messages) => (await send(peer, reused(sessions), messages)).msgsPerSecond,
    {
      firstMessages: 500,
      turnSeconds: 1,
      minTurns: 5,
      minMessages: 8000,
      maxSeconds: 90,
      maxMessages: 10_000,
    },
  );
  const rates = turns.map((turn) => turn.msgsPerSecond.toFixed(0)).join(", ");
  console.log(`${peer.name}: warmed up over ${turns.length} turns (msgs/s ${rates})`);
}

async function userSystemSeconds(pid: number): Promise<[number, number]> {
  const { userJiffies, systemJiffies } = await readProcStat(`/proc/${pid}/stat`);
  return [userJiffies / CLOCK_TICKS, systemJiffies / CLOCK_TICKS];
}

/** `send`, with the peer's user and system CPU per message during it, as text. */
async function sendCounted(peer: Peer, load: Load, messages: number, file = messageFile) {
  const [user0, system0] = await userSystemSeconds(peer.proc.pid);
  const result = await send(peer, load, messages, file);
  const [user1, system1] = await userSystemSeconds(peer.proc.pid);
  const perMessage = (seconds: number) => ((seconds * 1000) / messages).toFixed(2);
  return {
    ...result,
    cpu: `user ${perMessage(user1 - user0)} ms, system ${perMessage(system1 - system0)} ms CPU per message`,
  };
}

async function latency(): Promise<void> {
  const peer = await agent("agent");
  const message = (await readFile(messageFile, "utf8")).replace(/\n/g, "\r\n");
  const socket = net.connect({ port: peer.port, host: "127.0.0.1" });
  let buffered = "";
  let waiting: ((line: string) => void) | null = null;
  socket.on("data", (chunk) => {
    buffered += chunk.toString("latin1");
    for (let end = buffered.indexOf("\r\n"); end >= 0; end = buffered.indexOf("\r\n")) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line[3] === " " && waiting) {
        const resolve = waiting;
        waiting = null;
        resolve(line);
      }
    }
  });
  const reply = () => new Promise<string>((resolve) => (waiting = resolve));
  const command = async (text: string) => {
    const started = performance.now();
    socket.write(text);
    const line = await reply();
    if (!/^[23]/.test(line)) throw new Error(`${text.slice(0, 20)} → ${line}`);
    return performance.now() - started;
  };
  await reply();
  await command(`EHLO ${SENDER_HELO}\r\n`);
  const times: Record<string, number[]> = { "MAIL FROM": [], "RCPT TO": [], DATA: [], "end of data (.)": [] };
  for (let index = 0; index < 60; index++) {
    times["MAIL FROM"]!.push(await command(`MAIL FROM:<${SENDER}>\r\n`));
    times["RCPT TO"]!.push(await command(`RCPT TO:<${RECIPIENT}>\r\n`));
    times.DATA!.push(await command("DATA\r\n"));
    times["end of data (.)"]!.push(await command(`${message}.\r\n`));
  }
  socket.end("QUIT\r\n");
  for (const [name, values] of Object.entries(times)) {
    values.sort((a, b) => a - b);
    console.log(`${name}: median ${values[30]!.toFixed(2)} ms, p90 ${values[54]!.toFixed(2)} ms`);
  }
}

async function syscalls(): Promise<void> {
  const peer = await agent("agent");
  await warm(peer, 20);
  const out = path.join(work, "strace.txt");
  const strace = spawn("strace", ["-f", "-c", "-o", out, "-p", String(peer.proc.pid)], { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const messages = 1000;
  await send(peer, reused(20), messages);
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(strace.pid!, "SIGINT");
  await new Promise((resolve) => strace.once("exit", resolve));
  console.log(`system calls of the agent per message (${messages} messages, delivery to Maildir included):`);
  for (const line of (await readFile(out, "utf8")).split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !/^\d/.test(fields[0]!)) continue;
    const perMessage = Number(fields[3]) / messages;
    if (perMessage >= 0.5)
      console.log(`  ${fields.at(-1)}: ${perMessage.toFixed(2)} (${fields[0]} % of syscall time)`);
  }
}

async function dnsQueries(queries: RunningDns): Promise<void> {
  const peer = await agent("agent");
  const log = path.join(work, "dnsmasq.log");
  const before = (await readFile(log, "utf8")).length;
  await queries.queries();
  await send(peer, reused(1), 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log("DNS queries for one message:");
  for (const line of (await readFile(log, "utf8")).slice(before).split("\n")) {
    if (/query\[/.test(line)) console.log(`  ${line.replace(/^.*dnsmasq\[\d+\]: /, "")}`);
  }
}

async function variants(sessions: number): Promise<void> {
  const peers = [
    await agent("as is"),
    await agent("state on tmpfs", { tmpfs: true }),
    await agent("mailauth in the main thread", { settings: { authThreads: 0 } }),
    await agent("UV_THREADPOOL_SIZE=16", { env: { UV_THREADPOOL_SIZE: "16" } }),
    await agent("log level warn", { env: { MAILWARDEN_LOG_LEVEL: "warn" } }),
  ];
  for (const peer of peers) await warm(peer, sessions);
  const runs = new Map<Peer, string[]>(peers.map((peer) => [peer, []]));
  for (let repeat = 0; repeat < 3; repeat++) {
    for (const peer of peers) {
      const result = await sendCounted(peer, reused(sessions), 3000);
      runs
        .get(peer)!
        .push(
          `${result.msgsPerSecond.toFixed(0)} accepted, ${result.deliveredPerSecond.toFixed(0)} delivered ` +
            `msgs/s (${result.cpu})`,
        );
    }
  }
  console.log(`reused connections, ${sessions} sessions, 1 KiB, 3,000 messages; three turns each:`);
  for (const [peer, lines] of runs) console.log(`  ${peer.name}: ${lines.join("; ")}`);
}

/** CPU seconds (user + system) of each thread of `pid`, summed by thread name. */
async function threadSeconds(pid: number): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const stat = await readProcStat(`/proc/${pid}/task/${task}/stat`).catch(() => null);
    if (!stat) continue; // the thread ended meanwhile
    const label = task === String(pid) ? "main thread" : `${stat.name} ${task}`;
    byName.set(`${label} user`, stat.userJiffies / CLOCK_TICKS);
    byName.set(`${label} system`, stat.systemJiffies / CLOCK_TICKS);
  }
  return byName;
}

async function threads(sessions: number): Promise<void> {
  const peer = await agent("as is");
  await warm(peer, sessions);
  const messages = 3000;
  const before = await threadSeconds(peer.proc.pid);
  const result = await send(peer, reused(sessions), messages);
  const after = await threadSeconds(peer.proc.pid);
  console.log(`reused connections, ${sessions} sessions, 1 KiB: ${result.msgsPerSecond.toFixed(0)} msgs/s`);
  const rows = [...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)] as const);
  for (const [name, seconds] of rows.sort((a, b) => b[1] - a[1])) {
    if (seconds > 0)
      console.log(`  ${name.padEnd(18)} ${((seconds * 1000) / messages).toFixed(3)} ms CPU per message`);
  }
}

async function warmup(sessions: number, which: string | undefined): Promise<void> {
  const peer =
    which === "haraka"
      ? await startHaraka(work)
      : which === "haraka-checks"
        ? await startHaraka(work, { checks: { dnsServer: dns.server } })
        : await agent("agent");
  console.log(`reused connections, ${sessions} sessions, 1 KiB, a fresh ${peer.name}, turn by turn:`);
  let sent = 0;
  for (let turn = 1; turn <= 10; turn++) {
    const result = await sendCounted(peer, reused(sessions), 1000);
    sent += 1000;
    console.log(
      `  after ${String(sent).padStart(5)} messages: ${result.msgsPerSecond.toFixed(0).padStart(5)} msgs/s, ` +
        result.cpu,
    );
  }
}

async function profile(sessions: number, size: "1k" | "100k"): Promise<void> {
  const profileDir = path.join(work, "profile");
  await mkdir(profileDir);
  const file = path.join(work, `message-${size}.eml`);
  if (size === "100k") await writeFile(file, await signedMessage(100 * 1024, keys, "100k"));
  const peer = await agent("profiled", { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profileDir] });
  await warm(peer, sessions);
  const messages = size === "1k" ? 4000 : 2000;
  const result = await send(peer, { ...reused(sessions), size }, messages, file);
  console.log(`reused connections, ${sessions} sessions, ${size}: ${result.msgsPerSecond.toFixed(0)} msgs/s`);
  await peer.stop();
  for (const file of (await readdir(profileDir)).filter((name) => name.endsWith(".cpuprofile"))) {
    const summary = await summarizeProfile(path.join(profileDir, file), result.window, 25);
    if (summary.busyMs < 50) continue;
    console.log(
      `${file}: busy ${((summary.busyMs * 1000) / messages).toFixed(0)} µs per message; top self time (µs per message):`,
    );
    for (const spot of summary.selfByFunction) {
      console.log(`  ${((spot.ms * 1000) / messages).toFixed(1).padStart(6)}  ${spot.name}`);
      if (spot.ms * 1000 < messages * 10) continue; // callers of those above 10 µs per message
      for (const caller of summary.callers.get(spot.name) ?? [])
        console.log(`          ${((caller.ms * 1000) / messages).toFixed(1)} via ${caller.name}`);
    }
  }
}

/** lib/floor-server.ts as a peer. */
async function floorServer(mode: "discard" | "mailauth" | "mailauth-thread"): Promise<Peer> {
  const port = await freePort();
  const name = {
    discard: "smtp-server, discard",
    mailauth: "smtp-server + mailauth, no disk",
    "mailauth-thread": "smtp-server + mailauth in a worker thread, no disk",
  }[mode];
  const proc = startProcess(
    name,
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "bench/lib/floor-server.ts"), String(port), mode, dns.server],
    { logFile: path.join(work, `floor-${mode}.log`), cwd: repoRoot },
  );
  await waitForGreeting(port, name, proc);
  return discardingPeer(name, port, proc);
}

async function floor(sessions: number, size: "1k" | "100k"): Promise<void> {
  const file = size === "1k" ? messageFile : path.join(work, "message-100k.eml");
  if (size === "100k") await writeFile(file, await signedMessage(100 * 1024, keys, "100k"));
  const peers = [
    await startHaraka(work),
    await floorServer("discard"),
    await floorServer("mailauth"),
    await floorServer("mailauth-thread"),
    await agent("agent"),
  ];
  for (const peer of peers) await warm(peer, sessions);
  const load = { ...reused(sessions), size };
  const messages = size === "1k" ? 3000 : 1500;
  const runs = new Map<Peer, string[]>(peers.map((peer) => [peer, []]));
  for (let repeat = 0; repeat < 3; repeat++) {
    for (const peer of peers) {
      const result = await sendCounted(peer, load, messages, file);
      runs.get(peer)!.push(`${result.msgsPerSecond.toFixed(0)} msgs/s (${result.cpu})`);
    }
  }
  console.log(`reused connections, ${sessions} sessions, ${size}, ${messages} messages; three turns each:`);
  for (const [peer, lines] of runs) console.log(`  ${peer.name}: ${lines.join("; ")}`);
}

try {
  if (what === "latency") await latency();
  else if (what === "syscalls") await syscalls();
  else if (what === "dns") await dnsQueries(dns);
  else if (what === "variants") await variants(Number(process.argv[3] ?? 20));
  else if (what === "threads") await threads(Number(process.argv[3] ?? 20));
  else if (what === "profile")
    await profile(Number(process.argv[3] ?? 20), process.argv[4] === "100k" ? "100k" : "1k");
  else if (what === "floor")
    await floor(Number(process.argv[3] ?? 20), process.argv[4] === "100k" ? "100k" : "1k");
  else if (what === "warmup") await warmup(Number(process.argv[3] ?? 20), process.argv[4]);
  else
    console.error(
      "usage: node --import tsx bench/explore.ts latency|syscalls|dns|variants|threads|warmup|profile|floor [sessions]",
    );
} finally {
  await stopAll();
  await rm(work, { recursive: true, force: true });
  for (const entry of await readdir("/dev/shm")) {
    if (entry.startsWith("mw-explore-"))
      await rm(path.join("/dev/shm", entry), { recursive: true, force: true });
  }
}
