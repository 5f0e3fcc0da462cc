// Memory of the servers under test, from /proc: the resident set of a one-process server (now, and its
// peak during a run), and the proportional set of a server made of many processes (Postfix), where
// adding up resident sets would count every shared library page once per process.
import { readFile, writeFile } from "node:fs/promises";

async function statusField(pid: number, field: "VmRSS" | "VmHWM"): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resident set size now, in bytes (null: the process is gone). */
export const rssBytes = (pid: number) => statusField(pid, "VmRSS");

/**
 * Starts a new peak: writing 5 to clear_refs resets the kernel's high-water mark of the resident set
 * (VmHWM), so peakRssBytes afterwards is the peak of the run in between, without sampling. Root only;
 * returns false when refused.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** The highest resident set size since the last resetPeakRss (or since the process started), in bytes. */
export const peakRssBytes = (pid: number) => statusField(pid, "VmHWM");

/** The sum of the proportional set sizes (shared pages divided among their sharers) of `pids`, in bytes. */
export async function totalPssBytes(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    try {
      const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
