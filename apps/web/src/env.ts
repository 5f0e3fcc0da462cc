// The web app's environment, parsed once. Nothing else in apps/web reads process.env.
import { z } from "zod";

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("localhost"),
  /** Public address of the console, used in install commands and setup links. */
  MAILWARDEN_PUBLIC_URL: z.string().url().optional(),
  /** 32 random bytes, base64: encrypts TOTP secrets and signs sessions. Generated into the data dir if unset. */
  MAILWARDEN_SECRET_KEY: z.string().optional(),
  MAILWARDEN_DATA_DIR: z.string().optional(),
  /** Port of the embedded PostgreSQL (ignored with DATABASE_URL). */
  MAILWARDEN_DB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Optional first-run setup token (otherwise a random one is printed at start). Ignored once an admin exists. */
  MAILWARDEN_SETUP_TOKEN: z.string().min(16).optional(),
  /** Seconds between agent heartbeats (the hub marks a server offline after two missed). */
  MAILWARDEN_HEARTBEAT_SECONDS: z.coerce.number().positive().default(15),
  /** New agent connections this process admits per second; beyond it 503 + Retry-After. */
  MAILWARDEN_HUB_ADMIT_PER_SECOND: z.coerce.number().int().positive().default(500),
  /** Absolute lifetime of a console session; the idle timeout (a provider setting) ends it sooner. */
  MAILWARDEN_SESSION_HOURS: z.coerce.number().positive().default(12),
  /**
   * Reverse proxies whose X-Forwarded-For is believed ("10.0.0.0/8,127.0.0.1"); empty: the socket's peer
   * is the client. Sign-in limits and session lists use this address.
   */
  MAILWARDEN_TRUSTED_PROXIES: z.string().default(""),
  /** npm start: also enroll and run a local demo agent (set to 0 to skip). */
  MAILWARDEN_DEMO_AGENT: z.enum(["0", "1"]).default("1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Log lines as JSON (for log shippers) or as readable text; default: readable on a terminal, and for npm start. */
  MAILWARDEN_LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  /** Base port of the demo agent SMTP listeners (inbound, +1 submission, +2 implicit TLS). */
  MAILWARDEN_DEMO_SMTP_PORT: z.coerce.number().int().default(2525),
});

export const env = schema.parse(process.env);
export type Env = typeof env;
