// One pino logger for the web process.
import pino from "pino";
import { env } from "../env";

export const logger = pino({ name: "mailwarden-web", level: env.LOG_LEVEL });
