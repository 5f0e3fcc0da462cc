// Runs the real swaks client (Debian package) against a test listener and returns its exit code and
// transcript. Exit codes worth knowing: 0 sent, 23 MAIL FROM refused, 24 RCPT refused, 28 AUTH failed.
import { execFile } from "node:child_process";

export interface SwaksResult {
  exitCode: number;
  output: string;
}

export function swaks(args: string[]): Promise<SwaksResult> {
  return new Promise((resolve) => {
    execFile(
      "/usr/bin/swaks",
      ["--hide-informational", ...args],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ exitCode, output: `${stdout}${stderr}` });
      },
    );
  });
}
