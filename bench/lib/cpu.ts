// CPU accounting from /proc: a process's own CPU time, and the whole machine's busy share, so every run
// says how much of the machine the server, smtp-source and everything else took.
import { readdir, readFile } from "node:fs/promises";

/** A process's (or thread's) /proc/…/stat: its command name and CPU time so far, in jiffies. */
export async function readProcStat(file: string): Promise<{
  name: string;
  parentPid: number;
  userJiffies: number;
  systemJiffies: number;
  /** CPU of its exited children, once it has waited for them (cutime + cstime). */
  reapedChildrenJiffies: number;
}> {
  const stat = await readFile(file, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    parentPid: Number(fields[1]),
    userJiffies: Number(fields[11]),
    systemJiffies: Number(fields[12]),
    reapedChildrenJiffies: Number(fields[13]) + Number(fields[14]),
  };
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  const { userJiffies, systemJiffies } = await readProcStat(`/proc/${pid}/stat`);
  return (userJiffies + systemJiffies) / CLOCK_TICKS;
}

/**
 * CPU seconds used so far by a process and everything it started: each live descendant's own time, plus
 * what the exited ones used, which the kernel adds to their parent's cutime/cstime once it has waited for
 * them (Postfix's master reaps every smtpd, cleanup and virtual it forks, and they come and go during a
 * run). Also the pids of the live tree, so that "other processes" leaves them out.
 */
export async function treeCpuSeconds(rootPid: number): Promise<{ seconds: number; pids: number[] }> {
  const stats = new Map<number, Awaited<ReturnType<typeof readProcStat>>>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.set(Number(entry), await readProcStat(`/proc/${entry}/stat`));
    } catch {
      // gone meanwhile (its CPU is in its parent's cutime once reaped)
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, { parentPid }] of stats) {
    children.set(parentPid, [...(children.get(parentPid) ?? []), pid]);
  }
  const pids: number[] = [];
  let jiffies = 0;
  for (const pending = stats.has(rootPid) ? [rootPid] : []; pending.length > 0;) {
    const pid = pending.pop()!;
    const stat = stats.get(pid)!;
    pids.push(pid);
    jiffies += stat.userJiffies + stat.systemJiffies + stat.reapedChildrenJiffies;
    pending.push(...(children.get(pid) ?? []));
  }
  return { seconds: jiffies / CLOCK_TICKS, pids };
}

/**
 * Busy and total jiffies of the whole machine, from /proc/stat (to tell a saturated CPU). `interrupts`
 * (irq + softirq) is kernel work charged to no process: much of the TCP/IP path of loopback traffic.
 */
export async function machineCpu(): Promise<{ busy: number; interrupts: number; total: number }> {
  const [cpu] = (await readFile("/proc/stat", "utf8")).split("\n");
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const values = cpu!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, interrupts: (values[5] ?? 0) + (values[6] ?? 0), total };
}

export const CLOCK_TICKS = 100;

/** Samples the machine for `ms`: the share of all cores that was busy. */
export async function busyShare(ms: number): Promise<number> {
  const before = await machineCpu();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await machineCpu();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

/** CPU jiffies of every process (and kernel thread) by pid, with its command name. */
export async function processTable(): Promise<Map<number, { name: string; jiffies: number }>> {
  const table = new Map<number, { name: string; jiffies: number }>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { name, userJiffies, systemJiffies } = await readProcStat(`/proc/${entry}/stat`);
      table.set(Number(entry), { name, jiffies: userJiffies + systemJiffies });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** The biggest CPU users between two process tables, as "name 40 %" (share of one core over `ms`). */
export function topConsumers(
  before: Map<number, { name: string; jiffies: number }>,
  after: Map<number, { name: string; jiffies: number }>,
  ms: number,
  exclude: ReadonlySet<number>,
  count = 3,
): string[] {
  const used: { name: string; percent: number }[] = [];
  for (const [pid, { name, jiffies }] of after) {
    if (exclude.has(pid)) continue;
    const delta = jiffies - (before.get(pid)?.jiffies ?? jiffies);
    const percent = (100 * (delta / CLOCK_TICKS) * 1000) / ms;
    if (percent >= 5) used.push({ name, percent });
  }
  return used
    .sort((a, b) => b.percent - a.percent)
    .slice(0, count)
    .map(({ name, percent }) => `${name} ${percent.toFixed(0)} %`);
}
