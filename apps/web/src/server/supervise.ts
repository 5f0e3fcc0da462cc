// Process supervision for `npm start`: the demo agent runs as a child process, and Ctrl-C must stop
// everything whatever died first. A child killed by a signal has `exitCode === null` (its `signalCode`
// says why), so "has it exited?" is answered from the 'exit' event, never from `exitCode` alone; stopping
// a child that is already gone returns at once. SIGINT/SIGTERM become one idempotent shutdown with a
// safety timer, and a second Ctrl-C exits at once. runAsProcessGroup keeps the terminal's Ctrl-C away
// from the console's own children (PostgreSQL, the agent): only the console is told, once, and it stops
// them in order.
import { spawn } from "node:child_process";
import fs from "node:fs";

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedChild {
  readonly pid: number | undefined;
  /** Settles once the process has exited (or could not be started), however it ended. */
  readonly exited: Promise<ChildExit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after the grace period; settles once the process is gone. Idempotent. */
  stop(): Promise<ChildExit>;
}

export function describeExit(exit: ChildExit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  return exit.code === null ? "could not be started" : `exit code ${exit.code}`;
}

/**
 * Starts `command` with stdout and stderr appended to `logFile` and watches it. `onUnexpectedExit` is
 * called when it ends before stop() was asked for (the caller says so; the console keeps running).
 */
export function spawnSupervised(
  command: string,
  args: string[],
  options: {
    logFile: string;
    /** How long SIGTERM may take before SIGKILL (default 12 s: the agent's own grace is 10 s). */
    graceMs?: number;
    onUnexpectedExit?: (exit: ChildExit) => void;
    env?: NodeJS.ProcessEnv;
  },
): SupervisedChild {
  const graceMs = options.graceMs ?? 12_000;
  const log = fs.openSync(options.logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", log, log], env: options.env ?? process.env });
  let isExited = false;
  let isStopRequested = false;
  const exited = new Promise<ChildExit>((resolve) => {
    const done = (exit: ChildExit) => {
      if (isExited) return;
      isExited = true;
      fs.closeSync(log);
      resolve(exit);
      if (!isStopRequested) options.onUnexpectedExit?.(exit);
    };
    child.once("exit", (code, signal) => done({ code, signal }));
    // A process that could not be started emits 'error' and never 'exit'.
    child.once("error", () => {
      if (child.pid === undefined) done({ code: null, signal: null });
    });
  });
  let stopping: Promise<ChildExit> | null = null;
  return {
    pid: child.pid,
    exited,
    hasExited: () => isExited,
    stop() {
      stopping ??= (async () => {
        isStopRequested = true;
        if (isExited) return exited;
        child.kill("SIGTERM");
        const escalation = setTimeout(() => {
          if (!isExited) child.kill("SIGKILL");
        }, graceMs);
        const exit = await exited;
        clearTimeout(escalation);
        return exit;
      })();
      return stopping;
    },
  };
}

export interface ShutdownOptions {
  /** After this long the process exits with 1 even if `stop` has not finished (default 30 s). */
  safetyMs?: number;
  log?: (line: string) => void;
  exit?: (code: number) => void;
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits (0, or 1 if it failed or took longer than
 * the safety timer). A second signal exits at once with 130.
 */
export function onShutdownSignals(
  stop: () => Promise<void>,
  options: ShutdownOptions = {},
): { isStopping(): boolean } {
  const log = options.log ?? ((line: string) => console.log(line));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const safetyMs = options.safetyMs ?? 30_000;
  let isStopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (isStopping) {
        log(`\n${signal} again: exiting now.`);
        return exit(130);
      }
      isStopping = true;
      log(`\nStopping Mailwarden (${signal})… press Ctrl-C again to exit at once.`);
      const safety = setTimeout(() => {
        log(`Stopping took longer than ${Math.round(safetyMs / 1000)} s: exiting anyway.`);
        exit(1);
      }, safetyMs);
      stop().then(
        () => {
          clearTimeout(safety);
          exit(0);
        },
        (error: unknown) => {
          clearTimeout(safety);
          log(`Stopping failed: ${error instanceof Error ? error.message : String(error)}`);
          exit(1);
        },
      );
    });
  }
  return { isStopping: () => isStopping };
}

/**
 * Runs `command` as the leader of a process group of its own, with this terminal's stdout and stderr,
 * and returns its exit code. A Ctrl-C in a terminal signals the whole foreground group at once — the
 * console's PostgreSQL would then stop before the console wrote its last rows; here only this process
 * gets it, and passes the first SIGINT/SIGTERM/SIGHUP on to the leader alone. A second one, or a
 * leader still running `graceMs` later, ends the group (SIGKILL / SIGTERM); whatever the group still
 * holds when the leader exits gets SIGTERM, so nothing outlives `npm start`.
 */
export function runAsProcessGroup(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; graceMs?: number } = {},
): Promise<number> {
  const graceMs = options.graceMs ?? 45_000;
  const leader = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: options.env ?? process.env,
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (leader.pid) process.kill(-leader.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  let forwarded = 0;
  let overdue: NodeJS.Timeout | undefined;
  const forward = (signal: NodeJS.Signals) => {
    forwarded += 1;
    if (forwarded > 1) return signalGroup("SIGKILL");
    leader.kill(signal);
    overdue = setTimeout(() => signalGroup("SIGTERM"), graceMs);
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve) => {
    const done = (code: number) => {
      clearTimeout(overdue);
      for (const signal of signals) process.off(signal, forward);
      signalGroup("SIGTERM");
      resolve(code);
    };
    leader.once("exit", (code, signal) => done(code ?? (signal === "SIGINT" ? 130 : 1)));
    leader.once("error", () => {
      if (leader.pid === undefined) done(1);
    });
  });
}
