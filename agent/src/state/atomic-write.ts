// Every file the agent must not lose or half-write (credential, applied config, certificates, queue
// entries) goes through here: write a temp file created with its final mode, fsync it, rename it over
// the target, then fsync the directory so the rename itself survives a power cut.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";

export interface AtomicWriteOptions {
  /** File mode, applied at creation (never chmod afterwards, so there is no window with wider rights). */
  mode?: number;
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `dir` (and missing parents) with `mode`, and fsyncs every parent that gained an entry, so a
 * freshly created mailbox or queue folder is still there after a crash.
 */
export async function mkdirDurable(dir: string, mode = 0o700): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true, mode });
  if (!firstCreated) return;
  const chain: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    chain.push(current);
    if (current === path.resolve(firstCreated)) break;
  }
  // chain runs from `dir` up to the first created folder; each one's parent got a new entry
  for (const created of chain) await fsyncDirectory(path.dirname(created));
}

/**
 * Writes `data` to `tempPath`, fsyncs it, renames it to `target` and fsyncs the target's folder: after
 * this resolves the file survives a crash. The temp file is removed if anything fails.
 */
export async function writeDurably(
  tempPath: string,
  target: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const handle = await open(tempPath, "wx", mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, target);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(path.dirname(target));
}

export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
  await writeDurably(temp, target, data, options.mode ?? 0o644);
}
