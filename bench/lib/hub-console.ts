// The real console process for the hub benchmark: apps/web/server.ts in production mode, one node
// process per console (no tsx CLI wrapper in between, so the pid measured is the process serving the
// agents), with the open-files limit raised as far as this machine allows, a loopback-only inspector
// for forcing garbage collection, and optionally the V8 CPU profiler.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { startProcess, stopProcess, type Proc } from "./procs";
import { monoMs, sleep } from "./hub-measure";

export const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Raises the soft (and, where allowed, the hard) limit on open files, then runs the command. */
export function withRaisedFileLimit(command: string[]): [string, string[]] {
  return [
    "bash",
    [
      "-c",
      'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"',
      "raise-nofile",
      ...command,
    ],
  ];
}

/** Builds apps/web/.next with the web package's own build script if there is no build yet. */
export async function ensureWebBuild(logFile: string, log: (line: string) => void): Promise<string> {
  const buildId = path.join(repoRoot, "apps/web/.next/BUILD_ID");
  if (existsSync(buildId)) return "existing build";
  log("apps/web/.next is missing: building the console (npm run build -w @mailwarden/web)");
  const started = performance.now();
  const build = startProcess("next build", "npm", ["run", "build", "-w", "@mailwarden/web"], {
    logFile,
    cwd: repoRoot,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" },
  });
  const code = await build.exited;
  if (code !== 0 || !existsSync(buildId)) throw new Error(`next build failed (${code}); see ${logFile}`);
  return `built by the benchmark in ${((performance.now() - started) / 1000).toFixed(0)} s`;
}

export interface ConsoleOptions {
  name: string;
  databaseUrl: string;
  port: number;
  inspectPort: number;
  dataDir: string;
  logFile: string;
  heartbeatSeconds: number | null;
  logLevel: string;
  /** Write a .cpuprofile into this directory when the process exits (node --cpu-prof). */
  profileDir: string | null;
}

export interface RunningConsole {
  options: ConsoleOptions;
  proc: Proc;
  /** Spawn → ready (/healthz answers 200), ms. */
  startupMs: number;
  startedAt: number;
}

/** A secret key per benchmark run, shared by the consoles of a scenario (as behind a load balancer). */
export const benchSecretKey = randomBytes(32).toString("base64");

/** Starts one console and waits until it is ready (up to `timeoutMs`). */
export async function startConsole(options: ConsoleOptions, timeoutMs = 120_000): Promise<RunningConsole> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o711 });
  if (options.profileDir) await mkdir(options.profileDir, { recursive: true });
  const nodeArgs = [
    `--inspect=127.0.0.1:${options.inspectPort}`,
    ...(options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []),
    "--import",
    "tsx",
    "server.ts",
  ];
  const [command, args] = withRaisedFileLimit([process.execPath, ...nodeArgs]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    MAILWARDEN_DATA_DIR: options.dataDir,
    MAILWARDEN_SECRET_KEY: benchSecretKey,
    MAILWARDEN_DEMO_AGENT: "0",
    MAILWARDEN_LOG_FORMAT: "json",
    LOG_LEVEL: options.logLevel,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  if (options.heartbeatSeconds !== null) env.MAILWARDEN_HEARTBEAT_SECONDS = String(options.heartbeatSeconds);
  else delete env.MAILWARDEN_HEARTBEAT_SECONDS;
  const startedAt = monoMs();
  const proc = startProcess(options.name, command, args, {
    logFile: options.logFile,
    env,
    cwd: path.join(repoRoot, "apps/web"),
  });
  const deadline = startedAt + timeoutMs;
  for (;;) {
    if (proc.done) {
      throw new Error(
        `${options.name} exited (${String(await proc.exited)}) at start; see ${options.logFile}`,
      );
    }
    if (await answersHttp(options.port)) break;
    if (monoMs() > deadline) {
      await stopProcess(proc, 5000);
      throw new Error(
        `${options.name} did not answer HTTP within ${timeoutMs / 1000} s; see ${options.logFile}`,
      );
    }
    await sleep(100);
  }
  return { options, proc, startupMs: monoMs() - startedAt, startedAt };
}

/**
 * Ready: /healthz says the hub is listening for changes (200); a console without /healthz (404) is
 * ready once a page answers.
 */
async function answersHttp(port: number): Promise<boolean> {
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      redirect: "manual",
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return response.status;
  };
  try {
    const health = await get("/healthz");
    if (health !== 404) return health === 200;
    return (await get("/login")) < 500;
  } catch {
    return false;
  }
}

/**
 * SIGTERM (the console's own graceful shutdown), SIGKILL after `graceMs`. Returns how it ended and how
 * long it took.
 */
export async function stopConsole(
  running: RunningConsole,
  graceMs = 60_000,
): Promise<{ exit: number | string; ms: number; wasKilled: boolean }> {
  const started = monoMs();
  const exit = await stopProcess(running.proc, graceMs);
  return { exit, ms: monoMs() - started, wasKilled: exit === "SIGKILL" };
}

/** Runs a command to completion (for `git` and the like), "" on failure. */
export function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", () => resolve(""));
    child.on("close", () => resolve(out.trim()));
  });
}
