// `npm start`: build the console if needed, then run console + hub on embedded Postgres and a demo agent
// with SMTP on unprivileged ports. Ctrl-C stops everything — agent, web, Postgres — cleanly.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfNeeded } from "./build-if-needed";

Object.assign(process.env, { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" });
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(appDir, "../..");
buildIfNeeded(appDir, repoRoot);

const { startConsole, printBanner, stopOnSignals, dataDir } = await import("../server");
const { env } = await import("../src/env");
const { ensureDemoData, startDemoAgent } = await import("./demo");
const { hubUrlFor } = await import("../src/server/services/servers");

const running = await startConsole({ dev: false });
let stopAgent: () => Promise<void> = async () => undefined;
stopOnSignals(async () => {
  await stopAgent();
  await running.close();
});
printBanner(running);

if (env.MAILWARDEN_DEMO_AGENT === "1") {
  const demoDir = path.join(dataDir, "demo-agent");
  const { tenantId, password } = await ensureDemoData(running.runtime.prisma, demoDir);
  const agent = await startDemoAgent({
    prisma: running.runtime.prisma,
    repoRoot,
    demoDir,
    hubUrl: hubUrlFor(running.url),
    tenantId,
    basePort: env.MAILWARDEN_DEMO_SMTP_PORT,
  });
  stopAgent = agent.stop;
  console.log(
    [
      "Demo agent running (log: .data/demo-agent/agent.log):",
      `  SMTP inbound      127.0.0.1:${agent.ports.inbound}`,
      `  SMTP submission   127.0.0.1:${agent.ports.submission} (STARTTLS, self-signed certificate)`,
      `  SMTP implicit TLS 127.0.0.1:${agent.ports.submissionTls}`,
      `  POP3              127.0.0.1:${agent.ports.pop3} (STLS)  POP3S 127.0.0.1:${agent.ports.pop3s}`,
      password
        ? `  Demo mailbox      alice@demo.mailwarden.test  password: ${password}  (shown once; also in .data/demo-agent/mailbox-password.txt)`
        : "  Demo mailbox      alice@demo.mailwarden.test  (password in .data/demo-agent/mailbox-password.txt)",
      "",
    ].join("\n"),
  );
}
