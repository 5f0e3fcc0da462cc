// One JSON logger (pino, stdout) for the daemon; modules take a child logger so every line says which
// part of the agent wrote it. Lines go out asynchronously: those logged while a write is in progress
// share the next write (under load a few syscalls instead of three per message), and pino flushes what
// is left synchronously when the process exits.
import { pino, type Logger } from "pino";
import { agentEnv } from "./env";

export type { Logger };

export function createLogger(level: string = agentEnv().MAILWARDEN_LOG_LEVEL): Logger {
  return pino({ level, base: { service: "mailwarden-agent" } }, pino.destination({ dest: 1, sync: false }));
}

/** For tests and embedders that do not want log output. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
