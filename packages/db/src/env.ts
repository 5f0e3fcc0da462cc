// The one place this package reads process.env, parsed once with zod so a typo fails loudly at start.
import path from "node:path";
import { z } from "zod";
import { repoRoot } from "./paths";

const envSchema = z.object({
  /** An existing PostgreSQL server; without it the embedded one under MAILWARDEN_DATA_DIR is used. */
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL")
    .optional(),
  MAILWARDEN_DATA_DIR: z.string().trim().min(1).optional(),
});

function parseEnv() {
  // Empty strings mean "unset" (a common shell habit: DATABASE_URL= npm test).
  const raw = Object.fromEntries(
    Object.entries({
      DATABASE_URL: process.env.DATABASE_URL,
      MAILWARDEN_DATA_DIR: process.env.MAILWARDEN_DATA_DIR,
    }).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const parsed = envSchema.parse(raw);
  return {
    DATABASE_URL: parsed.DATABASE_URL,
    MAILWARDEN_DATA_DIR: path.resolve(parsed.MAILWARDEN_DATA_DIR ?? path.join(repoRoot, ".data")),
  };
}

export const env = parseEnv();
