// One pino logger for the web process: JSON lines for log shippers, or readable lines (pino-pretty as
// an in-process stream) on a terminal and under `npm start` — see MAILWARDEN_LOG_FORMAT in ../env.ts.
import pino from "pino";
import pretty from "pino-pretty";
import { env } from "../env";

const isPretty = env.MAILWARDEN_LOG_FORMAT
  ? env.MAILWARDEN_LOG_FORMAT === "pretty"
  : Boolean(process.stdout.isTTY);

export const logger = pino(
  { name: "mailwarden-web", level: env.LOG_LEVEL },
  isPretty
    ? pretty({
        colorize: Boolean(process.stdout.isTTY),
        translateTime: "SYS:HH:MM:ss",
        // one line per record: "[12:00:01] INFO: hub: agent connected {"serverId":"…"}"
        singleLine: true,
        messageFormat: "{if component}{component}: {end}{msg}",
        ignore: "pid,hostname,name,component",
        sync: true,
      })
    : undefined,
);
