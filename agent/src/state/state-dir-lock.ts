// One agent per state directory: two processes appending to one queue journal would each lose track
// of the other's entries (and one could delete a segment the other still writes). The lock is a Linux
// abstract Unix socket named after the directory: binding it fails while another process holds it,
// and the kernel releases it when its holder exits, even on kill -9 — no stale lock file to clear.
import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import net from "node:net";

export interface StateDirLock {
  release(): Promise<void>;
}

export class StateDirInUseError extends Error {
  constructor(stateDir: string) {
    super(`another mailwarden agent is running with the state directory ${stateDir}; stop it first`);
    this.name = "StateDirInUseError";
  }
}

export async function lockStateDir(stateDir: string): Promise<StateDirLock> {
  const real = await realpath(stateDir);
  const name = `\0mailwarden-agent-${createHash("sha256").update(real).digest("hex")}`;
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new StateDirInUseError(real) : error),
    );
    server.listen(name, resolve);
  });
  // the lock must not keep an otherwise finished process alive
  server.unref();
  return {
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
