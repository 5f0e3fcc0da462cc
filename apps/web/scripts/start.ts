// `npm start`: build the console if needed (its output only when it fails), then run console + hub on
// embedded Postgres and a demo agent with mail ports on unprivileged ports, and print one short banner
// once all of it is up. Logs are readable lines on the terminal (MAILWARDEN_LOG_FORMAT=json for JSON).
// Ctrl-C stops everything — agent, web, Postgres — whatever died first (../src/server/supervise): after
// the build, this script runs itself again as a process group of its own, so the terminal's Ctrl-C
// reaches the console once and the console stops its agent and its PostgreSQL in order.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runAsProcessGroup } from "../src/server/supervise";
import { buildIfNeeded } from "./build-if-needed";

Object.assign(process.env, { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" });
process.env.MAILWARDEN_LOG_FORMAT ??= "pretty";
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(appDir, "../..");
const GROUP_FLAG = "--in-own-process-group";
if (!process.argv.includes(GROUP_FLAG)) {
  buildIfNeeded(appDir, repoRoot);
  const script = fileURLToPath(import.meta.url);
  process.exit(await runAsProcessGroup(process.execPath, [...process.execArgv, script, GROUP_FLAG]));
}

const { startConsole, stopOnSignals, dataDir } = await import("../server");
const { env } = await import("../src/env");
const { logger } = await import("../src/server/logger");
const { describeExit } = await import("../src/server/supervise");
const { DEMO_ADDRESS, demoListeners, ensureDemoData, startDemoAgent, waitForDemoAgent } =
  await import("./demo");
const { startBanner } = await import("./banner");
const { hubUrlFor } = await import("../src/server/services/servers");

/** Paths under the repository as the user sees them from its root (.data/…). */
const shown = (file: string) => {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith("..") ? file : relative;
};

const running = await startConsole({ dev: false });
let stopAgent: () => Promise<void> = async () => undefined;
const shutdown = stopOnSignals(async () => {
  await stopAgent();
  await running.close();
});

let agentInfo: Parameters<typeof startBanner>[0]["agent"] = null;
let mailbox: Parameters<typeof startBanner>[0]["mailbox"] = null;
if (env.MAILWARDEN_DEMO_AGENT === "1") {
  const demoDir = path.join(dataDir, "demo-agent");
  const { tenantId, password } = await ensureDemoData(running.runtime.prisma, demoDir);
  const spawnedAt = new Date(Date.now() - 1000);
  const agent = await startDemoAgent({
    prisma: running.runtime.prisma,
    repoRoot,
    demoDir,
    hubUrl: hubUrlFor(running.url),
    tenantId,
    basePort: env.MAILWARDEN_DEMO_SMTP_PORT,
    // On Ctrl-C the terminal signals the agent too, and it may stop before this process asks it to.
    onUnexpectedExit: (exit) =>
      shutdown.isStopping() ||
      logger.error(
        `the demo agent stopped (${describeExit(exit)}); see ${shown(path.join(demoDir, "agent.log"))}. The console keeps running.`,
      ),
  });
  stopAgent = agent.stop;
  // Ctrl-C while the agent was being enrolled or started: the shutdown already ran without it.
  if (shutdown.isStopping()) await agent.stop();
  const isConnected = await waitForDemoAgent(running.runtime.prisma, agent.serverId, spawnedAt);
  agentInfo = {
    ports: agent.ports,
    listeners: await demoListeners(running.runtime.prisma, agent.serverId),
    logFile: shown(agent.logFile),
    isConnected,
  };
  mailbox = {
    address: DEMO_ADDRESS,
    password,
    passwordFile: shown(path.join(demoDir, "mailbox-password.txt")),
  };
}
if (!shutdown.isStopping()) {
  console.log(
    startBanner({ consoleUrl: running.url, setupUrl: running.setupUrl, agent: agentInfo, mailbox }),
  );
}
