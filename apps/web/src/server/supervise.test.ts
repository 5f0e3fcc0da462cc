// `npm start` stops on Ctrl-C whatever died first: a real parent process supervising a real child (the
// demo agent's code path, ./supervise), the child killed with SIGKILL behind its back, then SIGINT to
// the parent — which must exit, not wait for an 'exit' that already happened.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const appDir = path.resolve(import.meta.dirname, "../..");
const parentScript = path.join(import.meta.dirname, "test-support", "supervising-parent.ts");
const groupScript = path.join(import.meta.dirname, "test-support", "process-group-parent.ts");
const running: ChildProcessWithoutNullStreams[] = [];
const pids: number[] = [];

afterEach(() => {
  for (const proc of running.splice(0))
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  for (const pid of pids.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startParent(
  childMode: "plain" | "ignores-sigterm",
  graceMs = 2000,
  options: { asTerminalJob?: boolean } = {},
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mw-supervise-"));
  const parent = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      options.asTerminalJob ? groupScript : parentScript,
      path.join(dir, "child.log"),
      childMode,
      String(graceMs),
    ],
    {
      cwd: appDir,
      stdio: "pipe",
      // like a shell's foreground job: a group of its own, which a terminal's Ctrl-C signals as a whole
      detached: options.asTerminalJob ?? false,
    },
  );
  running.push(parent);
  let stdout = "";
  parent.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  parent.stderr.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    // "close": the exit status and all of its output
    parent.once("close", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(stdout)) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} in the parent's output:\n${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return pattern.exec(stdout)!;
  };
  const childPid = Number((await waitFor(/"childPid":(\d+)/))[1]);
  pids.push(childPid);
  return { parent, exited, childPid, waitFor, output: () => stdout };
}

describe("npm start's shutdown", () => {
  it("exits on SIGINT after its child was killed with SIGKILL", async () => {
    const { parent, exited, childPid, waitFor, output } = await startParent("plain");
    process.kill(childPid, "SIGKILL");
    await waitFor(/child exited: killed by SIGKILL/);
    const sentAt = Date.now();
    parent.kill("SIGINT");
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`still running:\n${output()}`)), 10_000),
      ),
    ]);
    expect(result.code).toBe(0);
    // Not the safety timer (20 s): the stop saw at once that the child was gone.
    expect(result.at - sentAt).toBeLessThan(5_000);
    expect(output()).toMatch(/child stopped: killed by SIGKILL/);
  });

  it("stops on a terminal's Ctrl-C (SIGINT to the whole group) once, after the child was SIGKILLed", async () => {
    // npm start's outer process runs the console as a group of its own: the terminal's SIGINT reaches
    // the outer process and the console's children not at all; the console is told once and stops them.
    const { parent, exited, childPid, waitFor, output } = await startParent("plain", 2000, {
      asTerminalJob: true,
    });
    process.kill(childPid, "SIGKILL");
    await waitFor(/child exited: killed by SIGKILL/);
    const sentAt = Date.now();
    process.kill(-parent.pid!, "SIGINT");
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.at - sentAt).toBeLessThan(5_000);
    expect(output().match(/Stopping Mailwarden/g)).toHaveLength(1);
    expect(output()).toMatch(/child stopped: killed by SIGKILL/);
  });

  it("stops a running child with SIGTERM, and with SIGKILL when SIGTERM is ignored", async () => {
    const polite = await startParent("plain");
    polite.parent.kill("SIGINT");
    expect((await polite.exited).code).toBe(0);
    expect(polite.output()).toMatch(/child stopped: exit code 0/);
    expect(isAlive(polite.childPid)).toBe(false);

    const stubborn = await startParent("ignores-sigterm", 300);
    stubborn.parent.kill("SIGTERM");
    expect((await stubborn.exited).code).toBe(0);
    expect(stubborn.output()).toMatch(/child stopped: killed by SIGKILL/);
    expect(isAlive(stubborn.childPid)).toBe(false);
  });
});
