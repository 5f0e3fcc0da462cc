// The Mailwarden SMTP benchmark (run it with `bash bench/run.sh`, which installs what this needs).
// smtp-source sends the same loads to smtp-sink, Haraka, Postfix and the agent, one peer at a time;
// then two extra agent runs measure the 100 ms greeting delay and profile the agent. Writes
// bench/RESULTS.md.
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as prettier from "prettier";
import { busyShare, cpuSeconds, machineCpu, processTable, topConsumers } from "./lib/cpu";
import { peakRssBytes, resetPeakRss, rssBytes, totalPssBytes } from "./lib/memory";
import {
  deliveredFiles,
  HARAKA_CHECKS,
  peerCpu,
  POSTFIX,
  prepareAgent,
  repoRoot,
  startAgentPeer,
  startHaraka,
  startPostfix,
  startSmtpSink,
  type AgentSetup,
  type Peer,
} from "./lib/peers";
import { freePort, freePorts, greetingLatency, median, stopAll, stopProcess } from "./lib/procs";
import { summarizeProfile } from "./lib/profile";
import { renderReport, type BenchReport, type MeasuredLoad, type PeerRun } from "./lib/report";
import { makeSenderKeys, signedMessage, startDnsmasq, type RunningDns } from "./lib/sender";
import { runSmtpSource, type Load } from "./lib/source";
import { warmUntilSteady } from "./lib/warm-up";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "no-profile": { type: "boolean", default: false },
    /** Which load the profiled agent run uses (a load id: reuse-1k, reuse-100k, new-1k, new-100k). */
    "profile-load": { type: "string", default: "reuse-1k" },
    keep: { type: "boolean", default: false },
    /**
     * Only these peers (comma-separated names), for a script that needs just some of them (bench/logs.ts
     * compares "agent" with MAIL_LOG_OFF); RESULTS.md is then not written, only the JSON.
     */
    only: { type: "string" },
    /** Where the run's figures go as JSON (bench/.work/results.json by default). */
    json: { type: "string" },
    out: { type: "string", default: path.join(repoRoot, "bench/RESULTS.md") },
  },
});

/**
 * Every measured run is sized to last about this long: a short calibration run of the same load gives
 * the peer's rate, and the measured run sends rate × TARGET_SECONDS messages (within the bounds below).
 * smtp-sink is ~100× faster than the agent, so one fixed count would be either a blink for smtp-sink or
 * minutes for the agent.
 */
const TARGET_SECONDS = flags.quick ? 1.5 : 4;
/** Each measured run is repeated; the best one counts (other processes on the machine only slow runs down). */
const REPEATS = flags.quick ? 1 : 2;
const CALIBRATION_MESSAGES = flags.quick ? 100 : 200;
/** After the last load, the servers rest this long before their memory at rest is read. */
const IDLE_SECONDS = 10;
/** New connections per run stay far below the 28k ephemeral ports (TIME_WAIT). */
const MAX_MESSAGES = { reused: 40_000, new: 10_000 };

/** The agent with its mail log switched off (row 23 "off"): the mail log's cost, for bench/logs.ts. */
export const MAIL_LOG_OFF = "agent (mail log off)";
const only = flags.only ? new Set(flags.only.split(",").map((name) => name.trim())) : null;

export const loads: Load[] = [
  { id: "reuse-1k", label: "20 sessions, reused connections, 1 KiB", sessions: 20, reuse: true, size: "1k" },
  {
    id: "reuse-100k",
    label: "20 sessions, reused connections, 100 KiB",
    sessions: 20,
    reuse: true,
    size: "100k",
  },
  {
    id: "new-1k",
    label: "200 sessions, new connection per message, 1 KiB",
    sessions: 200,
    reuse: false,
    size: "1k",
  },
  {
    id: "new-100k",
    label: "200 sessions, new connection per message, 100 KiB",
    sessions: 200,
    reuse: false,
    size: "100k",
  },
];
/** Diagnostic load for the greeting delay: few sessions, a new connection per message. */
const fewSessionsNew: Load = {
  id: "new-1k-s20",
  label: "20 sessions, new connection per message, 1 KiB",
  sessions: 20,
  reuse: false,
  size: "1k",
};
const warmUp: Load = { id: "warm-up", label: "warm-up", sessions: 20, reuse: true, size: "1k" };

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

function sh(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    return `(${command} failed: ${(error as Error).message.split("\n")[0]})`;
  }
}

const packageVersion = async (dir: string): Promise<string> =>
  (JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { version: string }).version;

async function main(): Promise<void> {
  const started = performance.now();
  const work = await mkdtemp(path.join(os.tmpdir(), "mw-bench-"));
  log(`work directory ${work}`);
  const keys = makeSenderKeys();
  const messageFiles: Record<Load["size"], string> = { "1k": "", "100k": "" };
  for (const [size, bytes] of [
    ["1k", 1024],
    ["100k", 100 * 1024],
  ] as const) {
    messageFiles[size] = path.join(work, `message-${size}.eml`);
    await writeFile(messageFiles[size], await signedMessage(bytes, keys, size));
  }

  const dns = await startDnsmasq(work, await freePort(), keys);
  log(`dnsmasq (pid ${dns.proc.pid}) serves SPF/DKIM/DMARC of the sender domain on ${dns.server}`);

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      nproc: sh("nproc", []),
      cpu: (os.cpus()[0]?.model ?? "?").trim(),
      memory: sh("free", ["-h"]),
      node: process.version,
      kernel: os.release(),
      commit: sh("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]),
      treeDirty: sh("git", ["-C", repoRoot, "status", "--porcelain", "--", "agent", "packages"]).length > 0,
      versions: {
        postfix: sh("/usr/sbin/postconf", ["-d", "-h", "mail_version"]),
        haraka: await packageVersion(path.join(repoRoot, "bench/peers/node_modules/Haraka")),
        dnsmasq: sh("/usr/sbin/dnsmasq", ["--version"])
          .split("\n")[0]!
          .replace(/^Dnsmasq version /, "")
          .replace(/ +Copyright.*$/, ""),
        smtpServer: await packageVersion(path.join(repoRoot, "node_modules/smtp-server")),
        mailauth: await packageVersion(path.join(repoRoot, "node_modules/mailauth")),
      },
    },
    targetSeconds: TARGET_SECONDS,
    loads,
    fewSessionsNew,
    peers: [],
    noDelay: null,
    profile: null,
    quick: flags.quick,
    totalSeconds: 0,
    agentSettingsDropped: [],
    quietness: [],
    loadAverage: os.loadavg()[0]!,
    authResults: null,
    agentLog: null,
    postfixLog: null,
    idleSeconds: IDLE_SECONDS,
  };

  // Two agents with their own state directories: the real one, and one with the bench-only preload that
  // removes the 100 ms greeting delay (it only takes part in the new-connection 1 KiB loads).
  const [agentPort, noDelayPort, logOffPort] = (await freePorts(3)) as [number, number, number];
  const setup = await prepareAgent(path.join(work, "agent"), agentPort, dns.server);
  const noDelaySetup = await prepareAgent(path.join(work, "agent-no-delay"), noDelayPort, dns.server);
  const logOffSetup = await prepareAgent(
    path.join(work, "agent-log-off"),
    logOffPort,
    dns.server,
    {},
    {
      smtpLogLevel: "off",
      deliveryLogLevel: "off",
    },
  );
  report.agentSettingsDropped = setup.droppedSettings;

  // All peers run at once and take turns, load by load (smtp-sink, Haraka, Postfix, agent, then again in
  // rotated order): whatever else the machine is doing affects every peer alike, not whichever ran last.
  report.quietness.push({ before: "the peers start", ...(await waitForQuietMachine()) });
  const noDelayLoads = new Set([fewSessionsNew.id, loads[2]!.id]);
  const peers: { peer: Peer; loads: Set<string> }[] = [];
  const everything = new Set([...loads, fewSessionsNew].map((load) => load.id));
  for (const [name, start, peerLoads] of [
    ["smtp-sink", () => startSmtpSink(work), everything],
    ["Haraka", () => startHaraka(work), everything],
    [HARAKA_CHECKS, () => startHaraka(work, { checks: { dnsServer: dns.server } }), everything],
    [POSTFIX, () => startPostfix(work), everything],
    ["agent", () => startAgentPeer(path.join(work, "agent"), setup, agentPort), everything],
    [
      "agent, greeting delay 0",
      () =>
        startAgentPeer(path.join(work, "agent-no-delay"), noDelaySetup, noDelayPort, {
          name: "agent, greeting delay 0",
          nodeArgs: ["--import", path.join(repoRoot, "bench/lib/no-greeting-delay.mjs")],
        }),
      noDelayLoads,
    ],
    [
      MAIL_LOG_OFF,
      () =>
        startAgentPeer(path.join(work, "agent-log-off"), logOffSetup, logOffPort, {
          name: MAIL_LOG_OFF,
          logName: "agent-log-off.log",
        }),
      everything,
    ],
  ] as const) {
    if (only ? !only.has(name) : name === MAIL_LOG_OFF) continue;
    log(`starting ${name}`);
    peers.push({ peer: await start(), loads: peerLoads });
  }
  const runs = new Map<Peer, PeerRun>();
  for (const { peer } of peers) runs.set(peer, await prepareRun(peer, messageFiles, dns));

  for (const load of [...loads, fewSessionsNew]) {
    const taking = peers.filter((entry) => entry.loads.has(load.id)).map((entry) => entry.peer);
    const sizes = new Map<Peer, number>();
    for (const peer of taking) sizes.set(peer, await runSize(peer, load, messageFiles, dns));
    const attempts = new Map<Peer, MeasuredLoad[]>(taking.map((peer) => [peer, []]));
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const order = [...taking.slice(repeat % taking.length), ...taking.slice(0, repeat % taking.length)];
      for (const peer of order) {
        attempts.get(peer)!.push(await measureLoad(peer, load, sizes.get(peer)!, messageFiles, dns));
      }
    }
    for (const peer of taking) record(runs.get(peer)!, load, attempts.get(peer)!);
  }

  const named = (name: string) => peers.find((entry) => entry.peer.name === name)?.peer;
  if (!only) report.authResults = await authenticationResultsOf(named("agent")!, setup, messageFiles["1k"]);
  // The servers' memory once they are idle again after all the loads (the agent's goal: ≤ 100 MB).
  log(`waiting ${IDLE_SECONDS} s, then reading each server's memory at rest`);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  for (const { peer } of peers) {
    if (!peer.isProcessTree) runs.get(peer)!.rssIdleBytes = await rssBytes(peer.proc.pid);
  }
  for (const { peer } of peers) await peer.stop();
  const noDelay = named("agent, greeting delay 0");
  report.peers = peers.filter(({ peer }) => peer !== noDelay).map(({ peer }) => runs.get(peer)!);
  report.noDelay = noDelay ? runs.get(noDelay)! : null;
  report.agentLog = await agentLogFacts(path.join(work, "agent", "agent.log"));
  if (!only || only.has(POSTFIX))
    report.postfixLog = await postfixLogFacts(path.join(work, "postfix", "maillog"));

  if (!flags["no-profile"] && (!only || only.has("agent"))) {
    const profileLoad = loads.find((load) => load.id === flags["profile-load"]);
    if (!profileLoad) throw new Error(`--profile-load: no load "${flags["profile-load"]}"`);
    log(`profiling the agent under the ${profileLoad.label} load (node --cpu-prof)`);
    report.quietness.push({ before: "agent (profiled)", ...(await waitForQuietMachine()) });
    const profileDir = path.join(work, "profile");
    await mkdir(profileDir);
    const peer = await startAgentPeer(path.join(work, "agent"), setup, agentPort, {
      name: "agent (profiled)",
      nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profileDir],
      logName: "agent-profiled.log",
    });
    const run = await prepareRun(peer, messageFiles, dns, { probe: false });
    const messages = await runSize(peer, profileLoad, messageFiles, dns);
    const attempts: MeasuredLoad[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      attempts.push(await measureLoad(peer, profileLoad, messages, messageFiles, dns));
    }
    record(run, profileLoad, attempts);
    await peer.stop();
    const [file] = (await readdir(profileDir)).filter((name) => name.endsWith(".cpuprofile"));
    if (!file) throw new Error("node --cpu-prof wrote no profile");
    const keep = path.join(repoRoot, "bench/.work");
    await mkdir(keep, { recursive: true });
    await copyFile(path.join(profileDir, file), path.join(keep, `agent-${profileLoad.id}.cpuprofile`));
    report.profile = {
      summary: await summarizeProfile(path.join(profileDir, file), run.results[profileLoad.id]!.window),
      load: run.results[profileLoad.id]!,
      file: `bench/.work/agent-${profileLoad.id}.cpuprofile`,
      label: profileLoad.label,
    };
  }

  await stopProcess(dns.proc);
  report.totalSeconds = (performance.now() - started) / 1000;
  // Formatted as `prettier --check .` (part of npm test) expects.
  const prettierOptions = (await prettier.resolveConfig(flags.out)) ?? {};
  if (!only) {
    const markdown = renderReport(report, flags.out);
    await writeFile(flags.out, await prettier.format(markdown, { ...prettierOptions, parser: "markdown" }));
  }
  await mkdir(path.join(repoRoot, "bench/.work"), { recursive: true });
  const json = await prettier.format(JSON.stringify(report), { ...prettierOptions, parser: "json" });
  await writeFile(flags.json ?? path.join(repoRoot, "bench/.work/results.json"), json);
  log(
    `wrote ${only ? (flags.json ?? "bench/.work/results.json") : path.relative(process.cwd(), flags.out)} (${report.totalSeconds.toFixed(0)} s in all)`,
  );
  if (flags.keep) log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}

/** Warm-up and the greeting latency probe. */
async function prepareRun(
  peer: Peer,
  messageFiles: Record<Load["size"], string>,
  dns: RunningDns,
  options: { probe?: boolean } = {},
): Promise<PeerRun> {
  // Before any mail: the server as it starts (all peers are up by now, so nothing else is starting).
  const rssAtStartBytes = peer.isProcessTree ? null : await rssBytes(peer.proc.pid);
  const turn = async (messages: number) => {
    const warm = await measureLoad(peer, warmUp, messages, messageFiles, dns);
    if (warm.errors.length > 0) {
      throw new Error(`${peer.name} warm-up failed: ${warm.errors.slice(0, 5).join(" | ")}`);
    }
    return warm.msgsPerSecond;
  };
  const warmUpTurns = await warmUntilSteady(turn, {
    firstMessages: CALIBRATION_MESSAGES * 2,
    turnSeconds: flags.quick ? 0.5 : 1,
    minTurns: 5,
    minMessages: flags.quick ? 3000 : 8000,
    maxSeconds: flags.quick ? 30 : 90,
    maxMessages: MAX_MESSAGES.reused,
  });
  const run: PeerRun = {
    name: peer.name,
    greetingMs: null,
    results: {},
    warmUp: warmUpTurns,
    rssAtStartBytes,
    rssIdleBytes: null,
  };
  log(
    `${peer.name}: warmed up in ${warmUpTurns.length} turns (msgs/s ` +
      `${warmUpTurns.map((each) => each.msgsPerSecond.toFixed(0)).join(", ")})`,
  );
  if (options.probe !== false) {
    const samples: number[] = [];
    for (let index = 0; index < 20; index++) samples.push(await greetingLatency(peer.port));
    run.greetingMs = median(samples);
    log(`${peer.name}: greeting after ${run.greetingMs.toFixed(1)} ms (median of 20 connections)`);
  }
  return run;
}

/** Messages for a run of about TARGET_SECONDS, from a short calibration run of the same load. */
async function runSize(
  peer: Peer,
  load: Load,
  messageFiles: Record<Load["size"], string>,
  dns: RunningDns,
): Promise<number> {
  // At least a few messages per session, so start-up and the last stragglers do not dominate.
  const floor = Math.max(CALIBRATION_MESSAGES, load.sessions * (flags.quick ? 2 : 5));
  const calibration = await measureLoad(
    peer,
    load,
    Math.max(CALIBRATION_MESSAGES, load.sessions * 2),
    messageFiles,
    dns,
  );
  const bound = load.reuse ? MAX_MESSAGES.reused : MAX_MESSAGES.new;
  return Math.max(floor, Math.min(bound, Math.round((calibration.msgsPerSecond * TARGET_SECONDS) / 10) * 10));
}

/** The best of the repetitions is the result (other work on the machine only ever slows a run down). */
function record(run: PeerRun, load: Load, attempts: MeasuredLoad[]): void {
  const result = attempts.reduce((best, attempt) =>
    attempt.msgsPerSecond > best.msgsPerSecond ? attempt : best,
  );
  result.repeats = attempts.map((attempt) => attempt.msgsPerSecond);
  // Memory is not "best of": the highest of the repetitions counts.
  result.peakRssBytes = maxOrNull(attempts.map((attempt) => attempt.peakRssBytes));
  result.pssBytes = maxOrNull(attempts.map((attempt) => attempt.pssBytes));
  run.results[load.id] = result;
  log(
    `${run.name} | ${load.label}: ${result.messages} msgs in ${(result.elapsedMs / 1000).toFixed(2)} s = ` +
      `${result.msgsPerSecond.toFixed(0)} msgs/s (runs: ${result.repeats.map((value) => value.toFixed(0)).join(", ")}), ` +
      `server CPU ${result.serverCpuPercent.toFixed(0)} %, irq ${result.interruptCpuPercent.toFixed(0)} %, ` +
      `others ${result.otherCpuPercent.toFixed(0)} %` +
      (result.stored === null
        ? ""
        : `, ${result.stored} stored after ${(result.drainMs / 1000).toFixed(1)} s more`) +
      (result.errors.length ? `, ${result.errors.length} error lines: ${result.errors[0]}` : ""),
  );
}

function maxOrNull(values: (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length ? Math.max(...known) : null;
}

/**
 * One smtp-source run, with the server's CPU use, then (for the peers that store mail) the wait until
 * all is stored, and the server's memory.
 */
async function measureLoad(
  peer: Peer,
  load: Load,
  messages: number,
  messageFiles: Record<Load["size"], string>,
  dns: RunningDns,
): Promise<MeasuredLoad> {
  await peer.markStore();
  const isPeakKnown = !peer.isProcessTree && (await resetPeakRss(peer.proc.pid));
  const cpuBefore = await peerCpu(peer);
  const dnsBefore = await cpuSeconds(dns.proc.pid);
  const machineBefore = await machineCpu();
  const processesBefore = await processTable();
  const queriesBefore = await dns.queries();
  const result = await runSmtpSource(peer.port, load, messages, messageFiles[load.size]);
  const processesAfter = await processTable();
  const cpuAfter = await peerCpu(peer);
  const dnsAfter = await cpuSeconds(dns.proc.pid);
  const machineAfter = await machineCpu();
  const dnsQueries = (await dns.queries()) - queriesBefore;
  const drainStarted = performance.now();
  const stored = await waitStored(peer, messages);
  const drainMs = performance.now() - drainStarted;
  // CPU per message counts the delivery after the last 250 too (the agent's delivery worker, Postfix's
  // qmgr and virtual): until the last message is in the Maildir.
  const cpuStored = await peerCpu(peer);
  const peakRss = isPeakKnown ? await peakRssBytes(peer.proc.pid) : null;
  const pssBytes = peer.isProcessTree ? await totalPssBytes(cpuStored.pids) : null;
  const cores = os.cpus().length;
  const serverCpuPercent = (100 * (cpuAfter.seconds - cpuBefore.seconds) * 1000) / result.elapsedMs;
  const sourceCpuPercent = (100 * result.sourceCpuSeconds * 1000) / result.elapsedMs;
  const dnsCpuPercent = (100 * (dnsAfter - dnsBefore) * 1000) / result.elapsedMs;
  const jiffies = Math.max(1, machineAfter.total - machineBefore.total);
  const machineCpuPercent = (100 * cores * (machineAfter.busy - machineBefore.busy)) / jiffies;
  const interruptCpuPercent = (100 * cores * (machineAfter.interrupts - machineBefore.interrupts)) / jiffies;
  return {
    ...result,
    serverCpuPercent,
    sourceCpuPercent,
    dnsCpuPercent,
    interruptCpuPercent,
    // smtp-source is gone by now, so it is not in processesAfter; our own process is the harness.
    topOthers: topConsumers(
      processesBefore,
      processesAfter,
      result.elapsedMs,
      new Set([...cpuBefore.pids, ...cpuAfter.pids, dns.proc.pid, process.pid]),
    ),
    otherCpuPercent: Math.max(
      0,
      machineCpuPercent - serverCpuPercent - sourceCpuPercent - dnsCpuPercent - interruptCpuPercent,
    ),
    machineCpuPercent,
    stored,
    drainMs: stored === null ? 0 : drainMs,
    cpuMsPerMessage: ((cpuStored.seconds - cpuBefore.seconds) * 1000) / messages,
    peakRssBytes: peakRss,
    pssBytes,
    repeats: [result.msgsPerSecond],
    dnsQueries,
  };
}

/**
 * Other work on this machine (other developers' test suites share it) skews a benchmark: wait up to
 * 30 s for a second in which at most 15 % of the cores are busy, and record what was seen.
 */
async function waitForQuietMachine(): Promise<{ busyPercent: number; waitedSeconds: number }> {
  const started = performance.now();
  let busy = await busyShare(1000);
  while (busy > 0.15 && performance.now() - started < 30_000) busy = await busyShare(1000);
  const waitedSeconds = (performance.now() - started) / 1000;
  log(
    `machine ${(busy * 100).toFixed(0)} % busy before the next peer (waited ${waitedSeconds.toFixed(0)} s)`,
  );
  return { busyPercent: busy * 100, waitedSeconds };
}

/** For a peer that stores mail: waits (up to 60 s) until `expected` messages are there. */
async function waitStored(peer: Peer, expected: number): Promise<number | null> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const stored = await peer.stored();
    if (stored === null || stored >= expected || Date.now() > deadline) return stored;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The agent's verdict on the signed messages: the trace headers of one more delivered copy. */
async function authenticationResultsOf(
  peer: Peer,
  setup: AgentSetup,
  messageFile: string,
): Promise<string | null> {
  await peer.markStore();
  const earlier = new Set(await deliveredFiles(path.join(setup.stateDir, "mail")));
  const one: Load = { id: "one", label: "one message", sessions: 1, reuse: false, size: "1k" };
  const result = await runSmtpSource(peer.port, one, 1, messageFile);
  if (result.errors.length > 0) return `(refused: ${result.errors.join(" | ")})`;
  await waitStored(peer, 1);
  const files = await deliveredFiles(path.join(setup.stateDir, "mail"));
  const copy = files.find((file) => !earlier.has(file));
  if (!copy) return null;
  const text = await readFile(copy, "latin1");
  const header = text.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  const lines = header
    .split(/\r?\n/)
    .filter((line) => /^(authentication-results|received-spf|arc-authentication-results):/i.test(line));
  return lines.length ? lines.join("\n") : "(no Authentication-Results header)";
}

/** Postfix's own log: how many lines, and its first warnings (a healthy run has none). */
async function postfixLogFacts(file: string): Promise<NonNullable<BenchReport["postfixLog"]>> {
  const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
  const problems = lines.filter((line) => /: (warning|error|fatal|panic): /.test(line));
  return { lines: lines.length, problems: problems.length, firstProblems: problems.slice(0, 3) };
}

async function agentLogFacts(file: string): Promise<NonNullable<BenchReport["agentLog"]>> {
  const text = await readFile(file, "utf8");
  const lines = text.split("\n").filter(Boolean);
  const warnings: string[] = [];
  let accepted = 0;
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      if (entry.msg === "message accepted") accepted++;
      // "not enrolled" is expected: the bench agent has no hub.
      if ((entry.level ?? 0) >= 40 && !/not enrolled/.test(entry.msg ?? "") && warnings.length < 5) {
        warnings.push(line.slice(0, 400));
      }
    } catch {
      if (warnings.length < 5) warnings.push(line.slice(0, 400));
    }
  }
  return { bytes: (await stat(file)).size, lines: lines.length, accepted, warnings };
}

const onSignal = (signal: NodeJS.Signals) => {
  log(`${signal}: stopping everything the benchmark started`);
  void stopAll().finally(() => process.exit(130));
};
process.once("SIGINT", onSignal);
process.once("SIGTERM", onSignal);

main().then(
  () => stopAll(),
  async (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    await stopAll();
    process.exit(1);
  },
);
