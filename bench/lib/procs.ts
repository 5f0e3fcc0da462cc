// Child processes of the benchmark: every one is started here, remembered by pid and stopped by pid
// (SIGTERM, then SIGKILL after a grace period), also when the benchmark itself fails or is interrupted.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import net from "node:net";

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  done: boolean;
}

const running = new Set<Proc>();

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Proc {
  const out = openSync(options.logFile, "a");
  const child = spawn(command, args, {
    stdio: ["ignore", out, out],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const proc: Proc = {
    name,
    pid: child.pid,
    child,
    done: false,
    exited: new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        proc.done = true;
        running.delete(proc);
        resolve(code ?? signal ?? "unknown");
      });
    }),
  };
  running.add(proc);
  return proc;
}

/** SIGTERM by pid, SIGKILL after `graceMs`; resolves with the exit code or signal. */
export async function stopProcess(proc: Proc, graceMs = 15_000): Promise<number | string> {
  if (!proc.done) {
    try {
      process.kill(proc.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      if (!proc.done) {
        try {
          process.kill(proc.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }, graceMs);
    const code = await proc.exited;
    clearTimeout(timer);
    return code;
  }
  return proc.exited;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((proc) => stopProcess(proc, 5000)));
}

// Last resort on an abrupt exit of the benchmark: nothing it started outlives it.
process.on("exit", () => {
  for (const proc of running) {
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export { freePort, freePorts } from "../../agent/src/test-support/ports";

/**
 * Opens one SMTP connection, waits for the 220 greeting, says QUIT. Resolves with the milliseconds from
 * connect() to the greeting; rejects on anything else or after `timeoutMs`.
 */
export function greetingLatency(port: number, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ port, host: "127.0.0.1" });
    let buffered = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting on port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\n");
      if (end < 0) return;
      const line = buffered.slice(0, end);
      // Multi-line greetings ("220-...") end at the line with "220 ".
      if (line.startsWith("220-")) {
        buffered = buffered.slice(end + 1);
        return;
      }
      clearTimeout(timer);
      const elapsed = performance.now() - started;
      socket.end("QUIT\r\n");
      if (line.startsWith("220")) resolve(elapsed);
      else reject(new Error(`port ${port} greeted with: ${line.trim()}`));
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Polls until the server on `port` greets with 220, or fails after `timeoutMs`. */
export async function waitForGreeting(
  port: number,
  what: string,
  proc: Proc,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (proc.done) throw new Error(`${what} exited (${String(await proc.exited)}) before it greeted`);
    try {
      await greetingLatency(port, 2000);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${what} did not greet on port ${port}: ${(lastError as Error | undefined)?.message}`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
