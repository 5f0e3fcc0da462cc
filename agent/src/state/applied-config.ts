// The last config the hub pushed and the agent accepted, kept on disk so a restarted agent (or one that
// cannot reach the hub) serves mail exactly as it did before. Contains mailbox password hashes: 0600.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { defaultPolicy } from "@mailwarden/policy";
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
  const stored = JSON.parse(text) as unknown;
  if (isObject(stored)) stored.config = withNewSettingsDefaulted(stored.config);
  const parsed = appliedConfigFileSchema.safeParse(stored);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file} is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return { revision: parsed.data.revision, config: parsed.data.config };
}

/**
 * A config stored by an older agent lacks the policy settings added since. They take their secure
 * defaults — never looser than anything — so an upgraded agent keeps serving its domains, as strictly as
 * the policy says, until the hub pushes the full config; the policy schema itself stays strict. Keys the
 * file has are left as they are, and anything else that is wrong still fails the parse.
 */
export function withNewSettingsDefaulted(config: unknown): unknown {
  if (!isObject(config)) return config;
  const upgraded: Record<string, unknown> = { ...config };
  if (isObject(config.server)) upgraded.server = { ...defaultPolicy, ...config.server };
  if (Array.isArray(config.domains)) {
    upgraded.domains = config.domains.map((domain: unknown) =>
      isObject(domain) && isObject(domain.policy)
        ? { ...domain, policy: { ...defaultPolicy, ...domain.policy } }
        : domain,
    );
  }
  return upgraded;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
