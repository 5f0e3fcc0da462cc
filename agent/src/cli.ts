// Command line of the agent daemon: `enroll` once with a token from the dashboard, then `run` under
// systemd. Exit codes: 0 done, 1 failure (enrollment refused, start-up failed), 2 bad usage or config.
import { parseArgs } from "node:util";
import { startAgent } from "./agent";
import { agentEnv } from "./env";
import { enroll, EnrollmentError } from "./hub/enroll";
import { createLogger } from "./log";
import { loadAgentSettings, SettingsError } from "./settings/agent-settings";
import { StateDirInUseError } from "./state/state-dir-lock";
import { AGENT_VERSION } from "./version";

const usage = `Usage:
  mailwarden-agent enroll --url <wss://host/agent | https://host> --token <token> [--config <path>]
  mailwarden-agent run [--config <path>]

Options:
  --config <path>   agent settings file (default: $MAILWARDEN_AGENT_CONFIG or /etc/mailwarden/agent.json)
  --help            show this help
  --version         print the agent version`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        config: { type: "string" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(AGENT_VERSION);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const configPath = values.config ?? agentEnv().MAILWARDEN_AGENT_CONFIG;
  switch (command) {
    case "enroll": {
      if (!values.url) throw new UsageError("enroll needs --url <hub URL>");
      if (!values.token) throw new UsageError("enroll needs --token <enrollment token>");
      return runEnroll(configPath, values.url, values.token);
    }
    case "run":
      return runDaemon(configPath);
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

async function runEnroll(configPath: string, url: string, token: string): Promise<number> {
  const settings = await loadAgentSettings(configPath);
  try {
    const { credential, file } = await enroll({
      url,
      token,
      hostname: settings.hostname,
      agentVersion: AGENT_VERSION,
      stateDir: settings.stateDir,
    });
    console.log(
      `Enrolled as agent ${credential.agentId} with hub ${credential.hubUrl}; credential written to ${file}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof EnrollmentError) {
      console.error(`mailwarden-agent: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

async function runDaemon(configPath: string): Promise<number> {
  const logger = createLogger();
  const agent = await startAgent({ configPath, logger });
  logger.info({ ports: agent.ports, version: AGENT_VERSION }, "agent running");
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  logger.info({ signal }, "shutting down");
  // If something refuses to close, exit anyway rather than hang a service manager's stop.
  const forceExit = setTimeout(() => {
    logger.error("shutdown took too long; exiting");
    process.exit(1);
  }, agent.settings.shutdownGraceMs + 5000);
  forceExit.unref();
  await agent.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`mailwarden-agent: ${error.message}\n\n${usage}`);
      process.exit(2);
    }
    if (error instanceof SettingsError) {
      console.error(`mailwarden-agent: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof StateDirInUseError) {
      console.error(`mailwarden-agent: ${error.message}`);
      process.exit(1);
    }
    console.error(`mailwarden-agent: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
