// The per-agent credential obtained at enrollment. It is a bearer secret for the hub, so the file is
// created 0600 inside a 0700 state directory and never logged.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { mkdirDurable, writeFileAtomic } from "./atomic-write";

export const credentialSchema = z.object({
  hubUrl: z.url(),
  agentId: z.string().min(1),
  secret: z.string().min(16),
});
export type Credential = z.infer<typeof credentialSchema>;

export function credentialPath(stateDir: string): string {
  return path.join(stateDir, "credential.json");
}

export async function writeCredential(stateDir: string, credential: Credential): Promise<string> {
  await mkdirDurable(stateDir, 0o700);
  const file = credentialPath(stateDir);
  await writeFileAtomic(file, JSON.stringify(credential, null, 2) + "\n", { mode: 0o600 });
  return file;
}

/** null when the agent has not been enrolled yet; throws when the file exists but is unusable. */
export async function readCredential(stateDir: string): Promise<Credential | null> {
  const file = credentialPath(stateDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const parsed = credentialSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`credential file ${file} is invalid; enroll again`);
  return parsed.data;
}
