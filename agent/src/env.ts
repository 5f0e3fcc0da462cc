// The agent's environment variables, parsed once. Nothing else in the agent reads process.env.
import { z } from "zod";

const envSchema = z.object({
  /** pino level for the JSON log on stdout. */
  MAILWARDEN_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
  /** Settings file used when --config is not given. */
  MAILWARDEN_AGENT_CONFIG: z.string().min(1).default("/etc/mailwarden/agent.json"),
});

export type AgentEnv = z.infer<typeof envSchema>;

let cached: AgentEnv | undefined;

export function agentEnv(): AgentEnv {
  if (!cached) {
    const parsed = envSchema.safeParse(process.env);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`environment variable ${issue?.path.join(".")} is invalid: ${issue?.message}`);
    }
    cached = parsed.data;
  }
  return cached;
}
