// Runs Python's poplib — a real POP3 client nobody here wrote — against a test listener through
// poplib-client.py, and returns one result per step. A step is [connection, poplib method, ...args];
// several named connections may be open at once (for the maildrop lock).
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "poplib-client.py");

export type PoplibStep = [connection: string, op: string, ...args: (string | number)[]];

export type PoplibResult =
  | { ok: unknown; ms: number; error?: undefined }
  | { error: string; type: string; ms: number; ok?: undefined };

export interface PoplibOptions {
  cafile: string;
  /** Cap the client at TLS 1.2 (to see a TLS 1.3-only policy refuse it). */
  maxTls?: "TLSv1.2";
}

export function poplib(steps: PoplibStep[], options: PoplibOptions): Promise<PoplibResult[]> {
  const spec = JSON.stringify({ host: "127.0.0.1", ...options, steps });
  return new Promise((resolve, reject) => {
    execFile(
      "python3",
      [script, spec],
      { timeout: 30_000, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`poplib-client.py failed: ${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as PoplibResult[]);
      },
    );
  });
}
