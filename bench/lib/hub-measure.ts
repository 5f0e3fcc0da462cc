// What the hub benchmark reads off the machine: one clock every process shares, percentiles that count
// the agents that never got something as "too late", memory and CPU of process trees from /proc, and a
// garbage collection forced through the inspector, so "memory per connection" is not a GC's mood.
import { readdir, readFile } from "node:fs/promises";
import { cpus } from "node:os";
import WebSocket from "ws";
import type { WindowStats } from "./hub-agent-pool";

const CLOCK_TICKS = 100;

/**
 * Milliseconds on CLOCK_MONOTONIC: process.hrtime reads the same clock in every process of the machine,
 * so a time taken in an agent worker and one taken here can be subtracted (the V8 profiler uses it too).
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Spread {
  /** How many values there are (the agents that got it). */
  count: number;
  /** Out of how many were expected. */
  of: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * Percentiles of `values` out of `of` expected: the missing ones count as infinitely late, so a p99 is
 * null ("never") when more than 1 % never arrived. Nearest-rank.
 */
export function spread(values: readonly number[], of = values.length): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number | null => {
    if (of === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * of));
    return rank <= sorted.length ? sorted[rank - 1]! : null;
  };
  return {
    count: sorted.length,
    of,
    p50: at(50),
    p99: at(99),
    max: sorted.length === of && of > 0 ? sorted[sorted.length - 1]! : null,
  };
}

/** VmRSS and VmHWM (peak) of one process in bytes, or null once it is gone. */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
  } catch {
    return null;
  }
}

interface ProcessEntry {
  ppid: number;
  /** user + system CPU seconds, all threads. */
  cpuSeconds: number;
}

/** Every process's parent and CPU time, from one pass over /proc/<pid>/stat. */
async function processTable(): Promise<Map<number, ProcessEntry>> {
  const table = new Map<number, ProcessEntry>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(entry), {
        ppid: Number(fields[1]),
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** `root` and every process below it in `table`. */
function descendants(table: Map<number, ProcessEntry>, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const walk = (at: number) => {
    tree.push(at);
    for (const child of children.get(at) ?? []) walk(child);
  };
  walk(root);
  return tree;
}

/** RSS of `pid` and every process below it (a console that forks helpers is measured whole), bytes. */
export async function treeRss(pid: number): Promise<number> {
  let total = 0;
  for (const member of descendants(await processTable(), pid)) total += (await memoryOf(member))?.rss ?? 0;
  return total;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
async function machineJiffies(): Promise<{ busy: number; total: number }> {
  const [cpu] = (await readFile("/proc/stat", "utf8")).split("\n");
  // user nice system idle iowait irq softirq steal
  const values = cpu!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

export type CpuGroups = Record<string, { pids: number[]; tree: boolean }>;

/**
 * CPU of named groups of processes over a window, in % of one core, and of the whole machine. Processes
 * that start during the window count from zero; ones that exit keep what they used until the last look
 * (one pass over /proc a second keeps that small, and cheap for the benchmark itself).
 */
export class CpuWindow {
  private readonly first = new Map<string, Map<number, number>>();
  private readonly last = new Map<string, Map<number, number>>();
  private readonly startedAt = monoMs();
  private machineAtStart = { busy: 0, total: 0 };
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  private constructor(private readonly groups: () => CpuGroups) {}

  static async start(groups: () => CpuGroups): Promise<CpuWindow> {
    const window = new CpuWindow(groups);
    window.machineAtStart = await machineJiffies();
    await window.sample();
    for (const [name, last] of window.last) window.first.set(name, new Map(last));
    window.timer = setInterval(() => {
      window.sampling = window.sampling.then(() => window.sample());
    }, 1000);
    return window;
  }

  private async sample(): Promise<void> {
    const table = await processTable();
    for (const [name, { pids, tree }] of Object.entries(this.groups())) {
      const last = this.last.get(name) ?? new Map<number, number>();
      for (const root of pids) {
        for (const pid of tree ? descendants(table, root) : [root]) {
          const entry = table.get(pid);
          if (entry) last.set(pid, entry.cpuSeconds);
        }
      }
      this.last.set(name, last);
    }
  }

  /** % of one core per group (and `machine`: every process, other people's too) over the window. */
  async stop(): Promise<Record<string, number>> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample();
    const machine = await machineJiffies();
    const seconds = (monoMs() - this.startedAt) / 1000;
    const percent: Record<string, number> = {};
    for (const [name, last] of this.last) {
      const first = this.first.get(name) ?? new Map<number, number>();
      let used = 0;
      for (const [pid, value] of last) used += value - (first.get(pid) ?? 0);
      percent[name] = (100 * used) / Math.max(0.001, seconds);
    }
    const cores = cpus().length;
    percent.machine =
      (100 * cores * (machine.busy - this.machineAtStart.busy)) /
      Math.max(1, machine.total - this.machineAtStart.total);
    return percent;
  }
}

/** The soft and hard limit on open files of a process, as "20000 (hard 20000)". */
export async function openFilesLimit(pid: number | "self"): Promise<string> {
  try {
    const limits = await readFile(`/proc/${pid}/limits`, "utf8");
    const line = limits.split("\n").find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line?.replace("Max open files", "").trim().split(/\s+/) ?? [];
    return soft === hard ? `${soft}` : `${soft} (hard ${hard})`;
  } catch {
    return "?";
  }
}

/**
 * Talks to a Node process started with --inspect: forces a full garbage collection and reads the heap.
 * The debugger listens on loopback only and only while the benchmark runs.
 */
export async function inspectorCall<T>(inspectPort: number, calls: { method: string }[]): Promise<T[]> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = list[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${inspectPort}`);
  const ws = new WebSocket(url, { perMessageDeflate: false });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const results: T[] = [];
    for (const [index, call] of calls.entries()) {
      results.push(
        await new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${call.method}: no answer in 60 s`)), 60_000);
          const onMessage = (data: WebSocket.RawData) => {
            const message = JSON.parse(data.toString()) as { id?: number; result?: T; error?: unknown };
            if (message.id !== index + 1) return;
            clearTimeout(timer);
            ws.off("message", onMessage);
            if (message.error) reject(new Error(`${call.method}: ${JSON.stringify(message.error)}`));
            else resolve(message.result as T);
          };
          ws.on("message", onMessage);
          ws.send(JSON.stringify({ id: index + 1, method: call.method }));
        }),
      );
    }
    return results;
  } finally {
    ws.terminate();
  }
}

/** Full GC in the process behind `inspectPort`, then its JS heap in use (bytes). */
export async function collectGarbage(inspectPort: number): Promise<number> {
  const [, , usage] = await inspectorCall<{ usedSize?: number }>(inspectPort, [
    { method: "HeapProfiler.collectGarbage" },
    { method: "HeapProfiler.collectGarbage" },
    { method: "Runtime.getHeapUsage" },
  ]);
  return usage?.usedSize ?? 0;
}

/** A window in which nothing happened yet (what an agent worker resets to, and what a skipped run reports). */
export function emptyWindowStats(): WindowStats {
  return {
    closesByCode: {},
    errors: {},
    refusals: {},
    retryAfterHonoured: 0,
    silentHub: 0,
    handshakeTimeouts: 0,
    welcomes: 0,
    heartbeatsSent: 0,
    heartbeatAcks: 0,
    heartbeatRtt: spread([]),
    pushes: 0,
    duplicatePushes: 0,
    invalidFrames: 0,
    invalidReasons: [],
    loopDelay: { p50: 0, p99: 0, max: 0 },
  };
}
