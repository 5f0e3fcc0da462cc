// The outbound queue: authenticated mail for remote recipients is written here durably before the 250.
// Remote delivery (MX lookup, retry schedule, DSN) is not implemented yet: entries wait in the folder
// and are counted in the posture's queue size. Each entry is <id>.eml (the message) plus <id>.json
// (envelope, attempts, next attempt); the .json is written last, so it marks a complete entry.
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { mkdirDurable, writeFileAtomic } from "../state/atomic-write";

export interface QueueEnvelope {
  id: string;
  mailFrom: string;
  rcptTo: string[];
  receivedAt: string;
  attempts: number;
  nextAttemptAt: string;
}

export function queueDir(stateDir: string): string {
  return path.join(stateDir, "queue");
}

export function newMessageId(): string {
  return `${Date.now().toString(36)}${randomBytes(8).toString("hex")}`.toUpperCase();
}

export async function enqueue(
  stateDir: string,
  entry: { id: string; mailFrom: string; rcptTo: string[] },
  message: Buffer,
): Promise<void> {
  const dir = queueDir(stateDir);
  await mkdirDurable(dir, 0o700);
  const now = new Date().toISOString();
  const envelope: QueueEnvelope = { ...entry, receivedAt: now, attempts: 0, nextAttemptAt: now };
  await writeFileAtomic(path.join(dir, `${entry.id}.eml`), message, { mode: 0o600 });
  await writeFileAtomic(path.join(dir, `${entry.id}.json`), JSON.stringify(envelope) + "\n", { mode: 0o600 });
}

/** Messages accepted for remote recipients and not delivered yet. */
export async function queueSize(stateDir: string): Promise<number> {
  try {
    const names = await readdir(queueDir(stateDir));
    return names.filter((name) => name.endsWith(".json") && !name.startsWith(".")).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}
