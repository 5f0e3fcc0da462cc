// The benchmark's side of the simulated agents: worker processes (./hub-agents.ts, each holding a
// share of the agents' sockets) started with a raised open-files limit, driven over Node's IPC channel
// with request/answer messages that time out instead of hanging, and stopped by pid.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { withRaisedFileLimit } from "./hub-console";
import type { Spread } from "./hub-measure";

export interface AgentSpec {
  /** Position in the whole fleet (0-based). */
  index: number;
  id: string;
  secret: string;
  port: number;
  appliedRevision: number;
  /** Which console process (or baseline server) this agent talks to. */
  group: number;
}

export interface AgentBehaviour {
  /** A posture every N heartbeats, as the agent's `heartbeat.postureEvery` (0: only after hello and applies). */
  postureEvery: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** Socket open + hello → welcome, as the agent's handshake timeout. */
  handshakeTimeoutMs: number;
  agentVersion: string;
  /** Agents get consecutive loopback source addresses from here (one per agent, like separate hosts). */
  sourceAddresses: boolean;
}

export interface WindowStats {
  closesByCode: Record<string, number>;
  errors: Record<string, number>;
  /** Upgrade refusals by HTTP status (503 + Retry-After from admission control). */
  refusals: Record<string, number>;
  retryAfterHonoured: number;
  /** Sessions the agent ended itself: no frame from the hub for two heartbeat intervals. */
  silentHub: number;
  handshakeTimeouts: number;
  welcomes: number;
  heartbeatsSent: number;
  heartbeatAcks: number;
  heartbeatRtt: Spread;
  pushes: number;
  duplicatePushes: number;
  invalidFrames: number;
  invalidReasons: string[];
  /** The worker's own event-loop delay (ms): high means its timestamps are late, not the hub. */
  loopDelay: { p50: number; p99: number; max: number };
}

export interface WorkerStatus {
  total: number;
  session: number;
  sessionByGroup: number[];
  /** Agents in session whose latest welcome came after `since`. */
  welcomedSince: number;
  welcomedSinceByGroup: number[];
  everWelcomed: number;
  reached: number;
  acked: number;
  gaveUp: Record<string, number>;
  window: WindowStats;
}

export type WorkerRequest =
  | { type: "init"; agents: AgentSpec[]; behaviour: AgentBehaviour }
  | { type: "connect"; rate: number }
  | { type: "status"; since?: number }
  | { type: "window" }
  | { type: "connectTimes" }
  | { type: "setTargets"; targets: number[] }
  | { type: "fanout" }
  | { type: "openAgents" }
  | { type: "sampleFrame" }
  | { type: "stop" };

export interface ConnectTimes {
  index: number[];
  firstConnectAt: Float64Array;
  firstWelcomeAt: Float64Array;
}

export interface FanoutTimes {
  index: number[];
  group: number[];
  reachedAt: Float64Array;
  ackedAt: Float64Array;
}

const running = new Set<ChildProcess>();
const killAll = (signal: NodeJS.Signals) => {
  for (const child of running) {
    try {
      process.kill(child.pid!, signal);
    } catch {
      // already gone
    }
  }
};
// Last resort on an abrupt exit of the benchmark: no worker outlives it.
process.on("exit", () => killAll("SIGKILL"));

/** Stops every worker and baseline server still running (on Ctrl-C or a failure). */
export async function stopAllWorkers(): Promise<void> {
  const exits = [...running].map((child) => new Promise((resolve) => child.once("exit", resolve)));
  killAll("SIGTERM");
  const timer = setTimeout(() => killAll("SIGKILL"), 5000);
  await Promise.all(exits);
  clearTimeout(timer);
}

/** One worker process holding a share of the agents. */
export class AgentWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  private exitedWith: string | null = null;
  readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on("message", (message: { id: number; result?: unknown; error?: string }) => {
      const pending = this.waiting.get(message.id);
      if (!pending) return;
      this.waiting.delete(message.id);
      if (message.error) pending.reject(new Error(`${name}: ${message.error}`));
      else pending.resolve(message.result);
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        this.exitedWith = String(code ?? signal);
        for (const pending of this.waiting.values()) {
          pending.reject(new Error(`${name} exited (${this.exitedWith})`));
        }
        this.waiting.clear();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get hasExited(): boolean {
    return this.exitedWith !== null;
  }

  static start(
    name: string,
    script: string,
    logFile: string,
    options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
  ): AgentWorker {
    const out = openSync(logFile, "a");
    const [command, args] = withRaisedFileLimit([
      process.execPath,
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      script,
    ]);
    const child = spawn(command, args, {
      stdio: ["ignore", out, out, "ipc"],
      serialization: "advanced",
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: { ...process.env, ...options.env },
    });
    closeSync(out);
    if (child.pid === undefined) throw new Error(`${name}: could not start`);
    running.add(child);
    return new AgentWorker(name, child);
  }

  /** One request; rejects after `timeoutMs` or if the worker dies, never hangs. */
  request<T>(
    message: WorkerRequest | { type: string; [key: string]: unknown },
    timeoutMs = 60_000,
  ): Promise<T> {
    if (this.exitedWith !== null)
      return Promise.reject(new Error(`${this.name} exited (${this.exitedWith})`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: no answer to ${message.type} in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, ...message });
    });
  }

  /** Asks it to exit, SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exitedWith !== null) return;
    try {
      process.kill(this.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(this.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The agents of one scenario spread over `workers` processes. */
export class AgentPool {
  private constructor(
    readonly workers: AgentWorker[],
    /** Fleet indexes held by each worker. */
    private readonly indexes: number[][],
  ) {}

  static async start(
    agents: AgentSpec[],
    behaviour: AgentBehaviour,
    workers: number,
    logFile: (worker: number) => string,
  ): Promise<AgentPool> {
    const script = path.resolve(import.meta.dirname, "hub-agents.ts");
    const started = Array.from({ length: workers }, (_, w) =>
      AgentWorker.start(`agent worker ${w + 1}`, script, logFile(w)),
    );
    const shares = started.map((_, w) => agents.filter((_, i) => i % workers === w));
    const pool = new AgentPool(
      started,
      shares.map((share) => share.map((agent) => agent.index)),
    );
    try {
      await Promise.all(
        started.map((worker, w) => worker.request({ type: "init", agents: shares[w]!, behaviour }, 120_000)),
      );
    } catch (error) {
      await Promise.all(started.map((worker) => worker.stop()));
      throw error;
    }
    return pool;
  }

  get pids(): number[] {
    return this.workers.map((worker) => worker.pid);
  }

  private all<T>(message: WorkerRequest, timeoutMs?: number): Promise<T[]> {
    return Promise.all(this.workers.map((worker) => worker.request<T>(message, timeoutMs)));
  }

  /** Starts connecting every agent, `rate` new agents per second in total. */
  async connect(rate: number): Promise<void> {
    await this.all({ type: "connect", rate: rate / this.workers.length });
  }

  async resetWindow(): Promise<void> {
    await this.all({ type: "window" });
  }

  async status(since?: number): Promise<WorkerStatus> {
    return mergeStatus(await this.all<WorkerStatus>({ type: "status", since }));
  }

  async connectTimes(): Promise<ConnectTimes[]> {
    return this.all<ConnectTimes>({ type: "connectTimes" });
  }

  /** `targetOf(index)`: the revision that agent must receive. */
  async setTargets(targetOf: (index: number) => number): Promise<void> {
    await Promise.all(
      this.workers.map((worker, w) =>
        worker.request({ type: "setTargets", targets: this.indexes[w]!.map((index) => targetOf(index)) }),
      ),
    );
  }

  async fanout(): Promise<FanoutTimes[]> {
    return this.all<FanoutTimes>({ type: "fanout" });
  }

  /** Fleet indexes of the agents with a welcomed, open socket right now. */
  async openAgents(): Promise<Set<number>> {
    return new Set((await this.all<number[]>({ type: "openAgents" })).flat());
  }

  async sampleFrame(): Promise<string | null> {
    return (await this.all<string | null>({ type: "sampleFrame" })).find((frame) => frame) ?? null;
  }

  /** Closes every socket (1000) and stops the workers. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.workers.map((worker) => worker.request({ type: "stop" }, 20_000)));
    await Promise.all(this.workers.map((worker) => worker.stop()));
  }
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

/** Several workers' status as one: counts add up; spreads take the worst worker (a lower bound). */
function mergeStatus(parts: WorkerStatus[]): WorkerStatus {
  const [first, ...rest] = parts;
  if (!first) throw new Error("no agent workers");
  const merged: WorkerStatus = structuredClone(first);
  for (const part of rest) {
    for (const key of ["total", "session", "welcomedSince", "everWelcomed", "reached", "acked"] as const) {
      merged[key] += part[key];
    }
    part.sessionByGroup.forEach((n, g) => (merged.sessionByGroup[g] = (merged.sessionByGroup[g] ?? 0) + n));
    part.welcomedSinceByGroup.forEach(
      (n, g) => (merged.welcomedSinceByGroup[g] = (merged.welcomedSinceByGroup[g] ?? 0) + n),
    );
    addCounts(merged.gaveUp, part.gaveUp);
    const w = merged.window;
    const p = part.window;
    addCounts(w.closesByCode, p.closesByCode);
    addCounts(w.errors, p.errors);
    addCounts(w.refusals, p.refusals);
    for (const key of [
      "retryAfterHonoured",
      "silentHub",
      "handshakeTimeouts",
      "welcomes",
      "heartbeatsSent",
      "heartbeatAcks",
      "pushes",
      "duplicatePushes",
      "invalidFrames",
    ] as const) {
      w[key] += p[key];
    }
    w.invalidReasons = [...w.invalidReasons, ...p.invalidReasons].slice(0, 5);
    const worst = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(a, b));
    w.heartbeatRtt = {
      count: w.heartbeatRtt.count + p.heartbeatRtt.count,
      of: w.heartbeatRtt.of + p.heartbeatRtt.of,
      p50: worst(w.heartbeatRtt.p50, p.heartbeatRtt.p50),
      p99: worst(w.heartbeatRtt.p99, p.heartbeatRtt.p99),
      max: worst(w.heartbeatRtt.max, p.heartbeatRtt.max),
    };
    w.loopDelay = {
      p50: Math.max(w.loopDelay.p50, p.loopDelay.p50),
      p99: Math.max(w.loopDelay.p99, p.loopDelay.p99),
      max: Math.max(w.loopDelay.max, p.loopDelay.max),
    };
  }
  return merged;
}
