// CPU accounting from /proc: a process's own CPU time, and the whole machine's busy share, so every run
// says how much of the machine the server, smtp-source and everything else took.
import { readFile } from "node:fs/promises";

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total jiffies of the whole machine, from /proc/stat (to tell a saturated CPU). */
export async function machineCpu(): Promise<{ busy: number; total: number }> {
  const [cpu] = (await readFile("/proc/stat", "utf8")).split("\n");
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const values = cpu!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

const CLOCK_TICKS = 100;

/** Samples the machine for `ms`: the share of all cores that was busy. */
export async function busyShare(ms: number): Promise<number> {
  const before = await machineCpu();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await machineCpu();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}
