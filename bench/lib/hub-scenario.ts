// One scenario of the hub benchmark — N agents against P console processes on one database — and the
// bare-ws baseline for the same N. Phases: connect, memory, idle, fan-out (a provider policy change made
// through the dashboard's service), restart. Every wait has a deadline and every phase records what it
// saw even when the hub falls over, so a failing hub gives a report, never a hung benchmark.
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { createPrismaClient, type Db } from "@mailwarden/db";
import {
  AgentPool,
  AgentWorker,
  type AgentBehaviour,
  type AgentSpec,
  type WindowStats,
} from "./hub-agent-pool";
import { startConsole, stopConsole, type ConsoleOptions, type RunningConsole } from "./hub-console";
import {
  changeProviderPolicy,
  createFleet,
  createScenarioDatabase,
  dropScenarioDatabase,
  FleetReader,
  type Fleet,
  type FleetShape,
} from "./hub-fleet";
import {
  collectGarbage,
  CpuWindow,
  emptyWindowStats,
  memoryOf,
  monoMs,
  openFilesLimit,
  sleep,
  spread,
  treeRss,
  type CpuGroups,
  type Spread,
} from "./hub-measure";
import { freePorts } from "./procs";
import { summarizeProfile, type Hotspot } from "./profile";

export interface BenchSettings {
  workers: number;
  connectRate: number;
  heartbeatSeconds: number | null;
  postureEvery: number;
  changes: number;
  idleSeconds: number;
  fanoutTimeoutSeconds: number;
  lostAckSeconds: number;
  restartTimeoutSeconds: number;
  shape: FleetShape;
  logLevel: string;
  profile: boolean;
  sourceAddresses: boolean;
  agentVersion: string;
  work: string;
  /** The migrated database every scenario's database is copied from. */
  templateUrl: string;
  templateDatabase: string;
  postgresPid: number;
  log(line: string): void;
}

export interface ConnectResult {
  rate: number;
  connected: number;
  timedOut: boolean;
  /** First attempt of the first agent → welcome of the last. */
  seconds: number;
  achievedRate: number;
  /** Each agent's first attempt → its first welcome (retries included). */
  firstWelcome: Spread;
  window: WindowStats;
  cpu: Record<string, number>;
}

export interface MemoryResult {
  connected: number;
  baseRss: number[];
  rss: number[];
  baseHeap: number[];
  heap: number[];
  rssPerConnection: number | null;
  heapPerConnection: number | null;
}

export interface IdleResult {
  seconds: number;
  cpu: Record<string, number>;
  transactionsPerSecond: number;
  window: WindowStats;
  /** Agents in session at the end of the window. */
  session: number;
}

export interface FanoutResult {
  change: number;
  target: number;
  /** Servers whose desired revision the change moved to the target (should be every one). */
  bumped: number;
  serviceMs: number;
  receipt: Spread;
  receiptByGroup: Spread[];
  acked: number;
  /** Commit → every Server row shows the target applied; null if never within the wait. */
  allRecordedMs: number | null;
  recordedAtEnd: number;
  /** Agents that acked whose row does not show it `lostAckSeconds` after the last ack. */
  lostAcks: number | null;
  timedOut: boolean;
  window: WindowStats;
  cpu: Record<string, number>;
  transactions: number;
  peakRss: number[];
  /** Commit and end on the shared monotonic clock, µs (for the profile window). */
  windowUs: { fromUs: number; toUs: number };
}

export interface RestartResult {
  restarted: number;
  share: number;
  stop: { exit: number | string; ms: number; wasKilled: boolean };
  /** Servers of the stopped process still ONLINE once it exited (all of them without a socket). */
  onlineAfterStop: number;
  /** Servers of the other process(es) ONLINE then (they keep their sockets: should be all). */
  othersOnlineAfterStop: number | null;
  othersShare: number;
  startupMs: number | null;
  /** New process spawned → every agent of its share welcomed again. */
  allBackMs: number | null;
  /** SIGTERM → every agent of its share welcomed again. */
  allBackSinceStopMs: number | null;
  back: number;
  /** ONLINE in the database while the agent holds no open socket, once all are back (+ a settle). */
  wronglyOnline: number | null;
  /** An open, welcomed socket while the database says OFFLINE (or anything but ONLINE). */
  wronglyOffline: number | null;
  window: WindowStats;
  cpu: Record<string, number>;
}

export interface ProfileResult {
  console: string;
  busyMs: number;
  totalMs: number;
  selfByFunction: Hotspot[];
  selfByComponent: Hotspot[];
}

export interface ScenarioResult {
  agents: number;
  processes: number;
  fleetSeconds: number;
  customers: number;
  consoles: { pid: number; startupMs: number; openFiles: string }[];
  workerOpenFiles: string;
  connect: ConnectResult | null;
  memory: MemoryResult | null;
  idle: IdleResult | null;
  fanouts: FanoutResult[];
  restart: RestartResult | null;
  profiles: ProfileResult[];
  /** A config frame as the agents received it (the baseline sends the same), and its size. */
  frame: string | null;
  frameBytes: number | null;
  errors: string[];
  consoleExits: string[];
}

export interface BaselineResult {
  agents: number;
  connect: ConnectResult | null;
  memory: MemoryResult | null;
  idle: IdleResult | null;
  fanout: {
    receipt: Spread;
    /** The server's loop handing the frame to every socket. */
    sentMs: number;
    frameBytes: number;
    acked: number;
    cpu: Record<string, number>;
    window: WindowStats;
  } | null;
  errors: string[];
}

class ConsoleDied extends Error {}

/** How long a fresh console runs before its memory is taken as the "before agents" figure. */
const CONSOLE_WARM_UP_MS = 35_000;

function behaviourOf(settings: BenchSettings): AgentBehaviour {
  return {
    postureEvery: settings.postureEvery,
    // The agent's defaults (agent/src/settings/agent-settings.ts).
    reconnect: { initialDelayMs: 1000, maxDelayMs: 30_000 },
    handshakeTimeoutMs: 15_000,
    agentVersion: settings.agentVersion,
    sourceAddresses: settings.sourceAddresses,
  };
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; false on timeout. */
async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs: number,
  guard: () => void = () => {},
): Promise<boolean> {
  const deadline = monoMs() + timeoutMs;
  for (;;) {
    guard();
    if (await check()) return true;
    if (monoMs() > deadline) return false;
    await sleep(everyMs);
  }
}

async function connectPhase(
  pool: AgentPool,
  agents: number,
  settings: BenchSettings,
  groups: () => CpuGroups,
  guard: () => void,
): Promise<ConnectResult> {
  await pool.resetWindow();
  const cpu = await CpuWindow.start(groups);
  await pool.connect(settings.connectRate);
  let last = await pool.status();
  const timeoutMs = (agents / settings.connectRate) * 1000 + 120_000;
  const done = await waitFor(
    async () => {
      last = await pool.status();
      return last.session >= agents;
    },
    timeoutMs,
    250,
    guard,
  );
  const cpuUsed = await cpu.stop();
  const times = await pool.connectTimes();
  const starts = times.flatMap((t) => [...t.firstConnectAt]).filter((v) => !Number.isNaN(v));
  const welcomes: number[] = [];
  for (const t of times) {
    t.firstWelcomeAt.forEach((at, i) => {
      if (!Number.isNaN(at)) welcomes.push(at - t.firstConnectAt[i]!);
    });
  }
  const firstStart = Math.min(...starts);
  const lastWelcome = Math.max(
    ...times.flatMap((t) => [...t.firstWelcomeAt]).filter((v) => !Number.isNaN(v)),
  );
  const connected = welcomes.length;
  const seconds = connected > 0 ? (lastWelcome - firstStart) / 1000 : 0;
  return {
    rate: settings.connectRate,
    connected,
    timedOut: !done,
    seconds,
    achievedRate: seconds > 0 ? connected / seconds : 0,
    firstWelcome: spread(welcomes, agents),
    window: (await pool.status()).window,
    cpu: cpuUsed,
  };
}

/**
 * RSS once it has settled: a full GC through the inspector, a second for V8 to hand pages back, read —
 * three times, the lowest reading counts (a console at rest still moves by ~10 MB now and then).
 */
async function settledMemory(running: RunningConsole): Promise<{ rss: number; heap: number }> {
  return settle(
    () => collectGarbage(running.options.inspectPort),
    () => treeRss(running.proc.pid),
  );
}

async function settle(
  gc: () => Promise<number>,
  readRss: () => Promise<number>,
): Promise<{ rss: number; heap: number }> {
  let best = { rss: Infinity, heap: Infinity };
  for (let round = 0; round < 3; round++) {
    const heap = await gc();
    await sleep(1000);
    const rss = await readRss();
    best = { rss: Math.min(best.rss, rss), heap: Math.min(best.heap, heap) };
  }
  return best;
}

async function idlePhase(
  pool: AgentPool,
  settings: BenchSettings,
  groups: () => CpuGroups,
  reader: FleetReader | null,
  guard: () => void,
): Promise<IdleResult> {
  await pool.resetWindow();
  const before = await reader?.transactions();
  const cpu = await CpuWindow.start(groups);
  const started = monoMs();
  await waitFor(async () => false, settings.idleSeconds * 1000, 500, guard);
  const cpuUsed = await cpu.stop();
  const seconds = (monoMs() - started) / 1000;
  const after = await reader?.transactions();
  const status = await pool.status();
  return {
    seconds,
    cpu: cpuUsed,
    transactionsPerSecond: before && after ? (after.commits - before.commits) / seconds : 0,
    window: status.window,
    session: status.session,
  };
}

async function fanoutPhase(
  change: number,
  pool: AgentPool,
  consoles: RunningConsole[],
  prisma: Db,
  fleet: Fleet,
  reader: FleetReader,
  settings: BenchSettings,
  groups: () => CpuGroups,
  guard: () => void,
): Promise<FanoutResult> {
  const agents = fleet.agents.length;
  const before = await reader.desiredRevisions();
  const target = Math.max(...before.values()) + 1;
  await pool.setTargets(() => target);
  await pool.resetWindow();
  const peakRss = consoles.map(() => 0);
  const rssSampler = setInterval(() => {
    consoles.forEach((running, i) => {
      void memoryOf(running.proc.pid).then((memory) => {
        if (memory) peakRss[i] = Math.max(peakRss[i]!, memory.rss);
      });
    });
  }, 250);
  const transactionsBefore = await reader.transactions();
  const cpu = await CpuWindow.start(groups);

  const called = monoMs();
  await changeProviderPolicy(prisma, fleet.actor, change);
  const committed = monoMs();
  const serviceMs = committed - called;
  const after = await reader.desiredRevisions();
  const bumped = [...after.values()].filter((revision) => revision === target).length;
  if (bumped !== agents)
    settings.log(`warning: the change moved ${bumped} of ${agents} servers to revision ${target}`);

  // Who acked, when the last ack left, and which of them the rows do not show: asked of the workers and
  // the database together, so an ack and its row are compared at the same moment.
  const lostNow = async () => {
    const times = await pool.fanout();
    const acked = new Set<string>();
    let lastAck = committed;
    for (const t of times) {
      t.ackedAt.forEach((at, i) => {
        if (Number.isNaN(at)) return;
        acked.add(fleet.agents[t.index[i]!]!.id);
        lastAck = Math.max(lastAck, at);
      });
    }
    const missing = await reader.notApplied(target);
    return {
      acked,
      lastAck,
      lost: missing.filter((id) => acked.has(id)).length,
      recorded: agents - missing.length,
    };
  };

  let allRecordedAt: number | null = null;
  let recorded = 0;
  let status = await pool.status();
  let allAckedAt: number | null = null;
  let lostAcks: number | null = null;
  const lostAckMs = settings.lostAckSeconds * 1000;
  const deadline = committed + settings.fanoutTimeoutSeconds * 1000;
  let polls = 0;
  let timedOut = false;
  for (;;) {
    guard();
    recorded = await reader.appliedCount(target);
    const now = monoMs();
    if (allRecordedAt === null && recorded >= agents) allRecordedAt = now;
    if (polls++ % 5 === 0 || recorded >= agents) {
      status = await pool.status();
      if (allAckedAt === null && status.acked >= agents) allAckedAt = monoMs();
    }
    if (allRecordedAt !== null && status.reached >= agents) break;
    // Every agent acked: the rows have lostAckSeconds to show it; what is missing then is a lost ack.
    // Polling goes on a while longer, to say when (if ever) the rows catch up.
    if (allAckedAt !== null && lostAcks === null && now - allAckedAt > lostAckMs) {
      lostAcks = (await lostNow()).lost;
    }
    if (allAckedAt !== null && now - allAckedAt > lostAckMs + 60_000) break;
    if (now > deadline) {
      timedOut = status.reached < agents;
      break;
    }
    await sleep(50);
  }
  const times = await pool.fanout();
  const ended = monoMs();
  const cpuUsed = await cpu.stop();
  clearInterval(rssSampler);
  const transactionsAfter = await reader.transactions();

  const receipts: number[] = [];
  const byGroup = consoles.map(() => [] as number[]);
  const groupSize = consoles.map(() => 0);
  for (const t of times) {
    t.reachedAt.forEach((at, i) => {
      const group = t.group[i]!;
      groupSize[group]!++;
      if (Number.isNaN(at)) return;
      receipts.push(at - committed);
      byGroup[group]!.push(at - committed);
    });
  }
  if (recorded >= agents && lostAcks === null) lostAcks = 0;
  let final = await lostNow();
  if (lostAcks === null && final.acked.size > 0) {
    // Not every agent acked (the wait ran out): the acks that did arrive get the same lostAckSeconds.
    const wait = final.lastAck + lostAckMs - monoMs();
    if (wait > 0) await sleep(wait);
    final = await lostNow();
    lostAcks = final.lost;
  }
  recorded = final.recorded;
  return {
    change,
    target,
    bumped,
    serviceMs,
    receipt: spread(receipts, agents),
    receiptByGroup: byGroup.map((values, g) => spread(values, groupSize[g])),
    acked: final.acked.size,
    allRecordedMs: allRecordedAt === null ? null : allRecordedAt - committed,
    recordedAtEnd: recorded,
    lostAcks,
    timedOut,
    window: status.window,
    cpu: cpuUsed,
    transactions: transactionsAfter.commits - transactionsBefore.commits,
    peakRss,
    windowUs: { fromUs: called * 1000, toUs: ended * 1000 },
  };
}

async function restartPhase(
  index: number,
  pool: AgentPool,
  consoles: RunningConsole[],
  fleet: Fleet,
  reader: FleetReader,
  settings: BenchSettings,
  groups: () => CpuGroups,
): Promise<RestartResult> {
  const processes = consoles.length;
  const groupOf = (i: number) => i % processes;
  const share = fleet.agents.filter((_, i) => groupOf(i) === index).length;
  await pool.resetWindow();
  const cpu = await CpuWindow.start(groups);
  const stoppedAt = monoMs();
  const stop = await stopConsole(consoles[index]!);
  const statuses = await reader.statuses();
  let onlineAfterStop = 0;
  let othersOnline = 0;
  fleet.agents.forEach((agent, i) => {
    if (statuses.get(agent.id) !== "ONLINE") return;
    if (groupOf(i) === index) onlineAfterStop++;
    else othersOnline++;
  });
  settings.log(
    `  stopped console ${index + 1} in ${(stop.ms / 1000).toFixed(1)} s (exit ${stop.exit}); ${onlineAfterStop} of its ${share} servers still ONLINE`,
  );

  const spawnedAt = monoMs();
  let startupMs: number | null = null;
  let allBackAt: number | null = null;
  let back = 0;
  const result = (): RestartResult => ({
    restarted: index + 1,
    share,
    stop,
    onlineAfterStop,
    othersOnlineAfterStop: processes > 1 ? othersOnline : null,
    othersShare: fleet.agents.length - share,
    startupMs,
    allBackMs: allBackAt === null ? null : allBackAt - spawnedAt,
    allBackSinceStopMs: allBackAt === null ? null : allBackAt - stoppedAt,
    back,
    wronglyOnline: null,
    wronglyOffline: null,
    window: emptyWindowStats(),
    cpu: {},
  });
  try {
    consoles[index] = await startConsole(consoles[index]!.options);
  } catch (error) {
    settings.log(`  console ${index + 1} did not start again: ${(error as Error).message}`);
    return { ...result(), window: (await pool.status()).window, cpu: await cpu.stop() };
  }
  startupMs = consoles[index]!.startupMs;
  const isBack = await waitFor(
    async () => {
      const status = await pool.status(stoppedAt);
      back = status.welcomedSinceByGroup[index] ?? 0;
      return back >= share && status.session >= fleet.agents.length;
    },
    settings.restartTimeoutSeconds * 1000,
    100,
    () => {
      if (consoles[index]!.proc.done) throw new ConsoleDied(`console ${index + 1} exited after its restart`);
    },
  );
  if (isBack) allBackAt = monoMs();
  const cpuUsed = await cpu.stop();
  const window = (await pool.status()).window;
  // A moment for the hub's writes (ONLINE at hello, OFFLINE of the closed sockets) to land.
  await sleep(3000);
  const open = await pool.openAgents();
  const after = await reader.statuses();
  let wronglyOnline = 0;
  let wronglyOffline = 0;
  fleet.agents.forEach((agent, i) => {
    const isOnline = after.get(agent.id) === "ONLINE";
    if (isOnline && !open.has(i)) wronglyOnline++;
    if (!isOnline && open.has(i)) wronglyOffline++;
  });
  return { ...result(), wronglyOnline, wronglyOffline, window, cpu: cpuUsed };
}

/** N agents against P console processes; never throws (failures land in `errors`). */
export async function runScenario(
  agents: number,
  processes: number,
  settings: BenchSettings,
): Promise<ScenarioResult> {
  const log = settings.log;
  const name = `hub_${agents}_${processes}`;
  const dir = path.join(settings.work, name);
  const result: ScenarioResult = {
    agents,
    processes,
    fleetSeconds: 0,
    customers: 0,
    consoles: [],
    workerOpenFiles: "?",
    connect: null,
    memory: null,
    idle: null,
    fanouts: [],
    restart: null,
    profiles: [],
    frame: null,
    frameBytes: null,
    errors: [],
    consoleExits: [],
  };
  const consoles: RunningConsole[] = [];
  let pool: AgentPool | null = null;
  let prisma: Db | null = null;
  let reader: FleetReader | null = null;
  const groups = (): CpuGroups => ({
    console: { pids: consoles.map((running) => running.proc.pid), tree: true },
    postgres: { pids: [settings.postgresPid], tree: true },
    agents: { pids: pool?.pids ?? [], tree: false },
    bench: { pids: [process.pid], tree: false },
  });
  const guard = () => {
    const dead = consoles.findIndex((running) => running.proc.done);
    if (dead >= 0) throw new ConsoleDied(`console ${dead + 1} exited unexpectedly`);
  };
  try {
    const url = await createScenarioDatabase(settings.templateUrl, settings.templateDatabase, name);
    prisma = createPrismaClient(url);
    const fleet = await createFleet(prisma, agents, settings.shape);
    result.fleetSeconds = fleet.seconds;
    result.customers = fleet.customers;
    log(
      `  fleet: ${agents} servers in ${fleet.customers} customers, written in ${fleet.seconds.toFixed(1)} s`,
    );
    reader = await FleetReader.open(url);

    const ports = await freePorts(2 * processes);
    for (let p = 0; p < processes; p++) {
      const options: ConsoleOptions = {
        name: `console ${p + 1}`,
        databaseUrl: url,
        port: ports[2 * p]!,
        inspectPort: ports[2 * p + 1]!,
        dataDir: path.join(dir, `console-${p + 1}`),
        logFile: path.join(dir, `console-${p + 1}.log`),
        heartbeatSeconds: settings.heartbeatSeconds,
        logLevel: settings.logLevel,
        profileDir: settings.profile ? path.join(dir, `profile-${p + 1}`) : null,
      };
      consoles.push(await startConsole(options));
      log(
        `  console ${p + 1}: pid ${consoles[p]!.proc.pid}, port ${options.port}, up in ${(consoles[p]!.startupMs / 1000).toFixed(1)} s`,
      );
    }
    for (const running of consoles) {
      result.consoles.push({
        pid: running.proc.pid,
        startupMs: running.startupMs,
        openFiles: await openFilesLimit(running.proc.pid),
      });
    }
    // A console frees some 10 MB of start-up memory about 20 s after it starts, whatever it is doing: the
    // "before" figure is taken once that is behind it, as it would be for a console in service.
    const warm = consoles[0]!.startedAt + CONSOLE_WARM_UP_MS - monoMs();
    if (warm > 0) await sleep(warm);
    const base = [];
    for (const running of consoles) base.push(await settledMemory(running));

    const specs: AgentSpec[] = fleet.agents.map((agent, i) => ({
      index: i,
      id: agent.id,
      secret: agent.secret,
      port: consoles[i % processes]!.options.port,
      appliedRevision: agent.appliedRevision,
      group: i % processes,
    }));
    pool = await AgentPool.start(specs, behaviourOf(settings), settings.workers, (w) =>
      path.join(dir, `agents-${w + 1}.log`),
    );
    result.workerOpenFiles = await openFilesLimit(pool.pids[0]!);

    log(`  connecting ${agents} agents at ${settings.connectRate}/s`);
    result.connect = await connectPhase(pool, agents, settings, groups, guard);
    log(
      `  connected ${result.connect.connected}/${agents} at ${result.connect.achievedRate.toFixed(0)}/s${result.connect.timedOut ? " (timed out)" : ""}`,
    );

    // Postures and ONLINE writes of the last agents land, then memory after a full GC.
    await sleep(5000);
    const withAgents = [];
    for (const running of consoles) withAgents.push(await settledMemory(running));
    const connected = (await pool.status()).session;
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    result.memory = {
      connected,
      baseRss: base.map((m) => m.rss),
      rss: withAgents.map((m) => m.rss),
      baseHeap: base.map((m) => m.heap),
      heap: withAgents.map((m) => m.heap),
      rssPerConnection:
        connected > 0 ? (sum(withAgents.map((m) => m.rss)) - sum(base.map((m) => m.rss))) / connected : null,
      heapPerConnection:
        connected > 0
          ? (sum(withAgents.map((m) => m.heap)) - sum(base.map((m) => m.heap))) / connected
          : null,
    };
    log(
      `  memory: ${result.memory.rssPerConnection === null ? "-" : (result.memory.rssPerConnection / 1024).toFixed(1)} KB RSS per connection (${connected} connected)`,
    );

    log(`  idle for ${settings.idleSeconds} s`);
    result.idle = await idlePhase(pool, settings, groups, reader, guard);
    log(
      `  idle: console ${result.idle.cpu.console?.toFixed(1)} % of a core, Postgres ${result.idle.cpu.postgres?.toFixed(1)} %`,
    );

    for (let change = 1; change <= settings.changes; change++) {
      log(`  fan-out ${change}: changing the provider policy`);
      const fanout = await fanoutPhase(
        change,
        pool,
        consoles,
        prisma,
        fleet,
        reader,
        settings,
        groups,
        guard,
      );
      result.fanouts.push(fanout);
      const ms = (value: number | null) => (value === null ? "never" : `${(value / 1000).toFixed(2)} s`);
      log(
        `  fan-out ${change}: ${fanout.receipt.count}/${agents} got it, p99 ${ms(fanout.receipt.p99)}, all recorded ${ms(fanout.allRecordedMs)}, lost acks ${fanout.lostAcks ?? "?"}`,
      );
    }
    result.frame = await pool.sampleFrame();
    result.frameBytes = result.frame === null ? null : Buffer.byteLength(result.frame);

    log(`  restart: SIGTERM to console 1`);
    result.restart = await restartPhase(0, pool, consoles, fleet, reader, settings, groups);
    const r = result.restart;
    log(
      `  restart: ${r.back}/${r.share} back ${r.allBackMs === null ? "(not all)" : `${(r.allBackMs / 1000).toFixed(1)} s after the new process started`}; wrongly ONLINE ${r.wronglyOnline}`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.errors.push(message);
    log(`  scenario failed: ${message}`);
  } finally {
    await pool?.stop().catch((error: unknown) => result.errors.push(`stopping agents: ${String(error)}`));
    for (const [i, running] of consoles.entries()) {
      const exit = running.proc.done ? await running.proc.exited : (await stopConsole(running)).exit;
      if (exit !== 0) result.consoleExits.push(`console ${i + 1}: ${exit}`);
    }
    await prisma?.$disconnect().catch(() => undefined);
    await reader?.close();
    await dropScenarioDatabase(settings.templateUrl, name).catch(() => undefined);
  }
  if (settings.profile) result.profiles = await readProfiles(dir, processes, result.fanouts);
  return result;
}

/** The console processes' CPU profiles, cut to the fan-out windows. */
async function readProfiles(
  dir: string,
  processes: number,
  fanouts: FanoutResult[],
): Promise<ProfileResult[]> {
  const profiles: ProfileResult[] = [];
  if (fanouts.length === 0) return profiles;
  const window = { fromUs: fanouts[0]!.windowUs.fromUs, toUs: fanouts[fanouts.length - 1]!.windowUs.toUs };
  for (let p = 1; p <= processes; p++) {
    const profileDir = path.join(dir, `profile-${p}`);
    const files = (await readdir(profileDir).catch(() => [] as string[])).filter((f) =>
      f.endsWith(".cpuprofile"),
    );
    for (const file of files) {
      const summary = await summarizeProfile(path.join(profileDir, file), window, 15);
      if (summary.totalMs < 1) continue; // the restarted process: no fan-out in it
      profiles.push({
        console: `console ${p}`,
        busyMs: summary.busyMs,
        totalMs: summary.totalMs,
        selfByFunction: summary.selfByFunction,
        selfByComponent: summary.selfByComponent,
      });
    }
  }
  return profiles;
}

/** The same agents against a bare ws server: memory per connection, idle CPU and fan-out of a frame. */
export async function runBaseline(
  agents: number,
  frame: string | null,
  settings: BenchSettings,
): Promise<BaselineResult> {
  const log = settings.log;
  const dir = path.join(settings.work, `baseline_${agents}`);
  const result: BaselineResult = {
    agents,
    connect: null,
    memory: null,
    idle: null,
    fanout: null,
    errors: [],
  };
  let pool: AgentPool | null = null;
  let server: AgentWorker | null = null;
  const groups = (): CpuGroups => ({
    console: { pids: server ? [server.pid] : [], tree: false },
    agents: { pids: pool?.pids ?? [], tree: false },
    bench: { pids: [process.pid], tree: false },
  });
  try {
    await mkdir(dir, { recursive: true });
    const [port] = await freePorts(1);
    server = AgentWorker.start(
      "baseline server",
      path.resolve(import.meta.dirname, "hub-baseline-server.ts"),
      path.join(dir, "server.log"),
      {
        nodeArgs: ["--expose-gc"],
        env: {
          BASELINE_PORT: String(port),
          BASELINE_HEARTBEAT_MS: String((settings.heartbeatSeconds ?? 15) * 1000),
        },
      },
    );
    await server.request({ type: "ready" });
    const baseline = server;
    const gc = () => baseline.request<number>({ type: "gc" });
    const readRss = async () => (await memoryOf(baseline.pid))?.rss ?? 0;
    const base = await settle(gc, readRss);
    const specs: AgentSpec[] = Array.from({ length: agents }, (_, i) => ({
      index: i,
      id: `baseline-${i}`,
      secret: "baseline-secret-not-checked",
      port: port!,
      appliedRevision: 1,
      group: 0,
    }));
    pool = await AgentPool.start(specs, behaviourOf(settings), settings.workers, (w) =>
      path.join(dir, `agents-${w + 1}.log`),
    );
    const guard = () => {
      if (server?.hasExited) throw new Error("the baseline server exited");
    };
    result.connect = await connectPhase(pool, agents, settings, groups, guard);
    await sleep(2000);
    const { rss, heap } = await settle(gc, readRss);
    const connected = (await pool.status()).session;
    result.memory = {
      connected,
      baseRss: [base.rss],
      rss: [rss],
      baseHeap: [base.heap],
      heap: [heap],
      rssPerConnection: connected > 0 ? (rss - base.rss) / connected : null,
      heapPerConnection: connected > 0 ? (heap - base.heap) / connected : null,
    };
    result.idle = await idlePhase(pool, settings, groups, null, guard);
    // The console's real config frame (or, if none arrived, a padded one of typical size), revision 2.
    const text =
      frame?.replace(
        /^\{"type":"hub\.config\.apply","revision":\d+/,
        '{"type":"hub.config.apply","revision":2',
      ) ?? JSON.stringify({ type: "hub.config.apply", revision: 2, config: { padding: "x".repeat(8000) } });
    await pool.setTargets(() => 2);
    await pool.resetWindow();
    const cpu = await CpuWindow.start(groups);
    const sent = await server.request<{ startedAt: number; sentMs: number; clients: number }>({
      type: "broadcast",
      frame: text,
    });
    let status = await pool.status();
    await waitFor(
      async () => {
        status = await pool!.status();
        return status.reached >= agents;
      },
      60_000,
      50,
    );
    const cpuUsed = await cpu.stop();
    const times = await pool.fanout();
    const receipts = times.flatMap((t) =>
      [...t.reachedAt].filter((v) => !Number.isNaN(v)).map((v) => v - sent.startedAt),
    );
    result.fanout = {
      receipt: spread(receipts, agents),
      sentMs: sent.sentMs,
      frameBytes: Buffer.byteLength(text),
      acked: status.acked,
      cpu: cpuUsed,
      window: status.window,
    };
    log(
      `  baseline: ${connected} connected, ${((result.memory.rssPerConnection ?? 0) / 1024).toFixed(1)} KB per connection, fan-out p99 ${((result.fanout.receipt.p99 ?? NaN) / 1000).toFixed(3)} s`,
    );
  } catch (error) {
    result.errors.push(error instanceof Error ? error.message : String(error));
    log(`  baseline failed: ${result.errors.at(-1)}`);
  } finally {
    await pool?.stop().catch(() => undefined);
    await server?.stop();
  }
  return result;
}
