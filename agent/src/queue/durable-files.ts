// The queue's and the delivery worker's durable writes, with group commit: every file is written and
// fsynced on its own, but the fsync of the folder that makes a rename (or unlink) survive a power cut is
// shared by every caller that renamed into that folder before the fsync started. Under load many
// concurrent messages then pay for one folder fsync instead of one each; durability is unchanged, since
// nobody's promise resolves before an fsync that began after their rename has finished.
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { fsyncDirectory } from "../state/atomic-write";

interface FolderState {
  /** The fsync in progress, if any. */
  running: Promise<void> | null;
  /** The fsync that starts when `running` ends; shared by everyone who asked meanwhile. */
  queued: Promise<void> | null;
}

export interface DirectorySyncStats {
  /** Callers that needed a folder fsync. */
  requests: number;
  /** Folder fsyncs actually made. */
  fsyncs: number;
}

export class DirectorySync {
  readonly #folders = new Map<string, FolderState>();
  readonly stats: DirectorySyncStats = { requests: 0, fsyncs: 0 };

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: string): Promise<void> {
    this.stats.requests += 1;
    let state = this.#folders.get(dir);
    if (!state) {
      state = { running: null, queued: null };
      this.#folders.set(dir, state);
    }
    const running = state.running;
    if (!running) return this.#start(dir, state);
    const folder = state;
    folder.queued ??= running
      .catch(() => undefined)
      .then(() => {
        folder.queued = null;
        return this.#start(dir, folder);
      });
    return folder.queued;
  }

  #start(dir: string, state: FolderState): Promise<void> {
    this.stats.fsyncs += 1;
    const run = fsyncDirectory(dir).finally(() => {
      if (state.running === run) state.running = null;
      if (!state.running && !state.queued) this.#folders.delete(dir);
    });
    state.running = run;
    return run;
  }
}

/** What a durable file holds: one piece, or several written in order with one writev (no copy). */
export type FileContent = string | Uint8Array | readonly Uint8Array[];

/** Creates `file` (which must not exist) with `mode`, writes `data` and fsyncs it. */
export async function writeSyncedFile(file: string, data: FileContent, mode = 0o600): Promise<void> {
  const handle = await open(file, "wx", mode);
  try {
    if (typeof data === "string" || data instanceof Uint8Array) await handle.writeFile(data);
    else await writeAll(handle, data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/**
 * Durable replace: temp file written and fsynced, renamed over `target`, folder fsynced (shared with
 * concurrent callers). The temp file is removed if anything before the rename fails.
 */
export async function replaceDurably(
  sync: DirectorySync,
  tempPath: string,
  target: string,
  data: FileContent,
  mode = 0o600,
): Promise<void> {
  await writeSyncedFile(tempPath, data, mode);
  try {
    await rename(tempPath, target);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await sync.sync(path.dirname(target));
}

/** Writes every piece in order with writev, continuing after short writes; at `position` if given. */
export async function writeAll(
  handle: FileHandle,
  pieces: readonly Uint8Array[],
  position?: number,
): Promise<void> {
  const left = pieces.filter((piece) => piece.byteLength > 0);
  let at = position;
  while (left.length > 0) {
    const written = await handle.writev(left as Uint8Array[], at);
    let { bytesWritten } = written;
    if (at !== undefined) at += bytesWritten;
    // a short write (rare on a regular file) continues where it stopped
    while (left.length > 0 && bytesWritten >= left[0]!.byteLength) bytesWritten -= left.shift()!.byteLength;
    if (left.length > 0 && bytesWritten > 0) left[0] = left[0]!.subarray(bytesWritten);
  }
}

/** Unlinks, treating "already gone" as done. */
export async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
