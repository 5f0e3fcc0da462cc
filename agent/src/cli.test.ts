// The real CLI process, as systemd and the install script run it: enroll prints what happened and exits
// 0/1, a bad settings file exits 2 naming the field, and `run` stops cleanly on SIGTERM, freeing its
// ports.
import { spawn, type ChildProcess } from "node:child_process";
import { stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { credentialPath } from "./state/credential";
import { FakeHub, VALID_TOKEN } from "./test-support/fake-hub";
import { tempDir, waitFor } from "./test-support/fixtures";
import { freeListenerPorts } from "./test-support/ports";

const launcher = fileURLToPath(new URL("../bin/mailwarden-agent.mjs", import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Cli {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function runCli(args: string[]): Cli {
  // cwd "/" proves the launcher does not depend on the working directory.
  const child = spawn(process.execPath, [launcher, ...args], {
    cwd: "/",
    env: { ...process.env, MAILWARDEN_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  return { child, output: () => output, exited };
}

async function canBind(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function writeSettings(dir: string, settings: unknown): Promise<string> {
  const file = path.join(dir, "agent.json");
  await writeFile(file, JSON.stringify(settings));
  return file;
}

describe("mailwarden-agent run", () => {
  it("serves SMTP until SIGTERM, then exits 0 and frees its ports", async () => {
    const state = await tempDir();
    cleanups.push(state.remove);
    const ports = await freeListenerPorts();
    const configPath = await writeSettings(state.dir, {
      stateDir: path.join(state.dir, "state"),
      hostname: "mx.cli.test",
      listeners: {
        inbound: { port: ports.inbound, host: "127.0.0.1" },
        submission: { port: ports.submission, host: "127.0.0.1" },
        submissionTls: { port: ports.submissionTls, host: "127.0.0.1" },
        pop3: { port: ports.pop3, host: "127.0.0.1" },
        pop3s: { port: ports.pop3s, host: "127.0.0.1" },
      },
    });
    const cli = runCli(["run", "--config", configPath]);
    await waitFor(() => cli.output().includes('"msg":"agent running"'), 15_000, "agent running");

    const greeting = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(ports.inbound, "127.0.0.1");
      socket.once("data", (data) => {
        resolve(data.toString());
        socket.destroy();
      });
      socket.once("error", reject);
    });
    expect(greeting).toMatch(/^220 mx\.cli\.test /);

    const stoppedAt = Date.now();
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(cli.output()).toContain('"msg":"agent stopped"');
    for (const port of Object.values(ports)) expect(await canBind(port)).toBe(true);
  });

  it("exits 2 naming the bad field of the settings file", async () => {
    const state = await tempDir();
    cleanups.push(state.remove);
    const configPath = await writeSettings(state.dir, {
      stateDir: state.dir,
      listeners: { inbound: { port: "twenty-five" } },
    });
    const cli = runCli(["run", "--config", configPath]);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(`config file ${configPath} is invalid`);
    expect(cli.output()).toContain("listeners.inbound.port");
  });

  it("exits 2 when the settings file is missing", async () => {
    const cli = runCli(["run", "--config", "/nonexistent/agent.json"]);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain("config file /nonexistent/agent.json does not exist");
  });
});

describe("mailwarden-agent enroll", () => {
  it("writes the credential and prints a success line", async () => {
    const hub = await FakeHub.start();
    const state = await tempDir();
    cleanups.push(state.remove, () => hub.close());
    const configPath = await writeSettings(state.dir, { stateDir: path.join(state.dir, "state") });
    const cli = runCli(["enroll", "--url", hub.url, "--token", VALID_TOKEN, "--config", configPath]);
    expect(await cli.exited).toBe(0);
    const file = credentialPath(path.join(state.dir, "state"));
    expect(cli.output()).toContain(
      `Enrolled as agent agent-test-1 with hub ${hub.url}; credential written to ${file}`,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("exits 1 with a clear message when the token is refused", async () => {
    const hub = await FakeHub.start();
    const state = await tempDir();
    cleanups.push(state.remove, () => hub.close());
    const configPath = await writeSettings(state.dir, { stateDir: state.dir });
    const cli = runCli([
      "enroll",
      "--url",
      hub.url,
      "--token",
      "used-token-000000000000",
      "--config",
      configPath,
    ]);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain("enrollment token is invalid, used or expired");
  });
});
