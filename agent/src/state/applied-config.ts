// The last config the hub pushed and the agent accepted, kept on disk so a restarted agent (or one that
// cannot reach the hub) serves mail exactly as it did before. Contains mailbox password hashes: 0600.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { agentConfigSchema, type AgentConfig } from "@mailwarden/protocol";
import { mkdirDurable, writeFileAtomic } from "./atomic-write";

const appliedConfigFileSchema = z.object({
  revision: z.number().int(),
  appliedAt: z.string(),
  config: agentConfigSchema,
});

export interface AppliedConfig {
  revision: number;
  config: AgentConfig;
}

export function appliedConfigPath(stateDir: string): string {
  return path.join(stateDir, "config.json");
}

export async function persistAppliedConfig(stateDir: string, applied: AppliedConfig): Promise<void> {
  await mkdirDurable(stateDir, 0o700);
  const body = { revision: applied.revision, appliedAt: new Date().toISOString(), config: applied.config };
  await writeFileAtomic(appliedConfigPath(stateDir), JSON.stringify(body, null, 2) + "\n", { mode: 0o600 });
}

/** null when nothing was ever applied; throws with a reason when the file is there but unusable. */
export async function loadAppliedConfig(stateDir: string): Promise<AppliedConfig | null> {
  const file = appliedConfigPath(stateDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const parsed = appliedConfigFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file} is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return { revision: parsed.data.revision, config: parsed.data.config };
}
