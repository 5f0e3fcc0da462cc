// Starts a real agent process (the same CLI a host runs) with its own state directory and free ports.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freeListenerPorts } from "../../agent/src/test-support/ports";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const cli = path.join(repoRoot, "agent", "bin", "mailwarden-agent.mjs");

function run(args: string[], logFile: string): ChildProcess {
  const log = fs.openSync(logFile, "a");
  return spawn(process.execPath, [cli, ...args], { stdio: ["ignore", log, log] });
}

export interface TestAgent {
  stateDir: string;
  ports: { inbound: number; submission: number; submissionTls: number; pop3: number; pop3s: number };
  log(): string;
  stop(): Promise<void>;
}

export async function enrollAndRunAgent(dir: string, hubUrl: string, token: string): Promise<TestAgent> {
  fs.mkdirSync(dir, { recursive: true });
  const ports = await freeListenerPorts();
  const stateDir = path.join(dir, "state");
  const configPath = path.join(dir, "agent.json");
  const logFile = path.join(dir, "agent.log");
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      stateDir,
      hostname: "mx1.e2e.test",
      listeners: {
        inbound: { port: ports.inbound, host: "127.0.0.1" },
        submission: { port: ports.submission, host: "127.0.0.1" },
        submissionTls: { port: ports.submissionTls, host: "127.0.0.1" },
        pop3: { port: ports.pop3, host: "127.0.0.1" },
        pop3s: { port: ports.pop3s, host: "127.0.0.1" },
      },
      reconnect: { initialDelayMs: 200, maxDelayMs: 2000 },
    }),
  );
  const enroll = run(["enroll", "--url", hubUrl, "--token", token, "--config", configPath], logFile);
  const code = await new Promise<number>((resolve) => enroll.once("exit", (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`agent enroll exited ${code}:\n${fs.readFileSync(logFile, "utf8")}`);
  const daemon = run(["run", "--config", configPath], logFile);
  return {
    stateDir,
    ports,
    log: () => fs.readFileSync(logFile, "utf8"),
    async stop() {
      if (daemon.exitCode !== null) return;
      daemon.kill("SIGTERM");
      const timer = setTimeout(() => daemon.kill("SIGKILL"), 10_000);
      await new Promise((resolve) => daemon.once("exit", resolve));
      clearTimeout(timer);
    },
  };
}

/** Files delivered to a mailbox's Maildir/new. */
export function maildirMessages(stateDir: string, domain: string, localPart: string): string[] {
  const dir = path.join(stateDir, "mail", domain, localPart, "Maildir", "new");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8"));
}
