// The path a bare host takes to become an agent, for real: the bundle the console serves unpacks and
// `npm install`s on its own (the registry is reachable; --prefer-offline uses the npm cache) and its CLI
// starts; install.sh refuses bad arguments with exit 2; and the "Add server" one-liner, run against this
// console's routes and real hub, installs into temporary paths, enrolls (credential 0600), refuses a
// spent token, re-enrolls with a new one, and the installed agent comes Online.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { createHub, type Hub } from "@mailwarden/hub";
import { GET as getInstallScript } from "~/app/install.sh/route";
import { GET as getAgentBundle } from "~/app/install/agent.tgz/route";
import { BUNDLE_DIR, buildAgentBundle, installScript } from "./agent-bundle";
import { getRuntime, setRuntime } from "./runtime";
import { callerFor, createTestRuntime, createUser } from "./testing";

const repoRoot = path.resolve(import.meta.dirname, "../../../..");
const installSh = path.join(repoRoot, "agent", "install.sh");
const agentVersion = (
  JSON.parse(readFileSync(path.join(repoRoot, "agent", "package.json"), "utf8")) as { version: string }
).version;

// Children get a plain environment: npm_* variables of an enclosing `npm test` would reconfigure the
// npm run inside the bundle (workspace, prefix, …).
const childEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
  npm_config_prefer_offline: "true",
  npm_config_update_notifier: "false",
  NODE_ENV: process.env.NODE_ENV,
  MAILWARDEN_LOG_LEVEL: "warn",
};

const tempDirs: string[] = [];
function tempDir(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mailwarden-${name}-`));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs a command without blocking the event loop (the console answering it lives in this process). */
function run(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

// npm installs dominate these tests; give them room on a busy two-core machine.
describe("agent bundle", { timeout: 180_000 }, () => {
  it("unpacks into a folder that npm installs on its own and whose CLI runs", async () => {
    const dir = tempDir("bundle");
    const tgz = await buildAgentBundle(repoRoot);
    expect(await buildAgentBundle(repoRoot)).toBe(tgz); // cached while nothing changed
    const archive = path.join(dir, "agent.tgz");
    await import("node:fs/promises").then((fs) => fs.writeFile(archive, tgz));

    const listing = spawnSync("tar", ["-tzf", archive], { encoding: "utf8" });
    expect(listing.status).toBe(0);
    const names = listing.stdout.trim().split("\n");
    expect(names.every((name) => name.startsWith(`${BUNDLE_DIR}/`))).toBe(true);
    for (const expected of [
      "package.json",
      "package-lock.json",
      "README.md",
      "bin/mailwarden-agent.mjs",
      "src/cli.ts",
      "vendor/policy/package.json",
      "vendor/policy/src/index.ts",
      "vendor/protocol/package.json",
      "vendor/protocol/src/index.ts",
    ])
      expect(names).toContain(`${BUNDLE_DIR}/${expected}`);
    expect(
      names.filter((name) => /\.test\.ts$|test-support|node_modules|tsconfig|vitest/.test(name)),
    ).toEqual([]);

    expect(spawnSync("tar", ["-xzf", archive, "-C", dir]).status).toBe(0);
    const folder = path.join(dir, BUNDLE_DIR);
    const pkg = JSON.parse(readFileSync(path.join(folder, "package.json"), "utf8")) as {
      name: string;
      version: string;
      dependencies: Record<string, string>;
      devDependencies?: unknown;
    };
    expect(pkg.name).toBe("mailwarden-agent");
    expect(pkg.version).toBe(agentVersion);
    expect(pkg.dependencies["@mailwarden/policy"]).toBe("file:vendor/policy");
    expect(pkg.dependencies["@mailwarden/protocol"]).toBe("file:vendor/protocol");
    expect(Object.values(pkg.dependencies).filter((range) => range === "*")).toEqual([]);
    expect(pkg.devDependencies).toBeUndefined();
    expect(mode(path.join(folder, "bin", "mailwarden-agent.mjs")) & 0o111).not.toBe(0);

    const install = await run(
      "npm",
      ["install", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"],
      {
        cwd: folder,
      },
    );
    expect(install.code, install.stderr).toBe(0);

    // Exactly the versions and layout of the repository's lock (a fresh resolution once hoisted two
    // copies of @peculiar/asn1-schema apart and broke certificate generation).
    type Lock = { packages: Record<string, { version?: string; optional?: boolean; link?: boolean }> };
    const readLock = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Lock;
    const repoLock = readLock(path.join(repoRoot, "package-lock.json")).packages;
    const shipped = readLock(path.join(folder, "package-lock.json")).packages;
    const installed = readLock(path.join(folder, "node_modules", ".package-lock.json")).packages;
    for (const [key, entry] of Object.entries(shipped)) {
      if (!key.startsWith("node_modules/") || entry.link) continue;
      expect(entry.version, key).toBe((repoLock[key] ?? repoLock[`agent/${key}`])?.version);
      if (!entry.optional) expect(installed[key]?.version, key).toBe(entry.version);
    }
    for (const [key, entry] of Object.entries(installed))
      if (!entry.link) expect(shipped[key]?.version, key).toBe(entry.version);
    const ls = await run("npm", ["ls", "--all", "--omit=dev"], { cwd: folder });
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);

    // Run from elsewhere: nothing may resolve through the monorepo's node_modules.
    const version = await run(
      process.execPath,
      [path.join(folder, "bin", "mailwarden-agent.mjs"), "--version"],
      {
        cwd: os.tmpdir(),
      },
    );
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(agentVersion);
    const help = await run(process.execPath, [path.join(folder, "bin", "mailwarden-agent.mjs"), "--help"], {
      cwd: os.tmpdir(),
    });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("mailwarden-agent enroll --url");
  });

  it("serves install.sh with the console's address as the default --url", async () => {
    const script = await installScript("https://console.example.net/", repoRoot);
    expect(script).toMatch(/^DEFAULT_URL='https:\/\/console\.example\.net' /m);
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    await expect(installScript("ftp://console.example.net", repoRoot)).rejects.toThrow(/not http/);
  });
});

describe("install.sh arguments", () => {
  const sh = (...args: string[]) =>
    spawnSync("sh", [installSh, ...args], { encoding: "utf8", env: childEnv });

  it("prints help and exits 0", () => {
    const result = sh("--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("--token <token>");
    expect(result.stdout).toContain("--no-systemd");
  });

  it("lists the five listeners with their port options, and says the console decides which are open", () => {
    const { stdout } = sh("--help");
    for (const [option, name, port] of [
      ["--inbound-port", "inbound", 25],
      ["--submission-port", "submission", 587],
      ["--submission-tls-port", "submissionTls", 465],
      ["--pop3-port", "pop3", 110],
      ["--pop3s-port", "pop3s", 995],
    ] as const) {
      expect(stdout).toMatch(new RegExp(`${option} <port> +${name}: .*\\(default ${port}\\)`));
    }
    expect(stdout).toMatch(/which ones the agent opens is a setting of this server in the console/);
  });

  it.each([
    [[], /--token is required/],
    [["--token"], /--token needs a value/],
    [["--token", "-x"], /--token needs a value, not '-x'/],
    [["--token", "mwe_ok", "--bogus"], /unknown option: --bogus/],
    [["--token", "mwe_ok", "extra"], /unknown option: extra/],
    [["--token", "mwe_o;k", "--url", "http://x"], /--token looks wrong/],
    [["--token", "mwe_ok"], /--url is required/],
    [["--token", "mwe_ok", "--url", "ftp://x"], /--url must start with https:\/\/ or http:\/\//],
    [["--token", "mwe_ok", "--url", "http://x", "--prefix", "relative"], /--prefix must be an absolute path/],
    [["--token", "mwe_ok", "--url", "http://x", "--prefix", "/usr"], /would replace a system directory/],
    [["--token", "mwe_ok", "--url", "http://x", "--inbound-port", "99999"], /--inbound-port must be a port/],
    [["--token", "mwe_ok", "--url", "http://x", "--pop3s-port", "x995"], /--pop3s-port must be a port/],
    [
      ["--token", "mwe_ok", "--url", "http://x", "--state-dir", "/opt/mailwarden-agent/s"],
      /must not be inside/,
    ],
  ])("refuses %j with exit 2", (args, message) => {
    const result = sh(...args);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(2);
  });
});

describe("the Add server one-liner on a bare host", { timeout: 180_000 }, () => {
  let prisma: Db;
  let stopDb: () => Promise<void>;
  let hub: Hub;
  let server: http.Server;
  let consoleUrl: string;
  let admin: ReturnType<typeof callerFor>;
  let customerId: string;

  beforeAll(async () => {
    const db = await createTestRuntime();
    prisma = db.prisma;
    stopDb = db.stop;
    hub = createHub({
      prisma,
      databaseUrl: db.url,
      logger: pino({ level: "silent" }),
      heartbeatIntervalMs: 1000,
    });
    // The console's public routes and the hub on one port, as server.ts mounts them.
    server = http.createServer((req, res) => {
      const route =
        req.url === "/install.sh"
          ? getInstallScript
          : req.url === "/install/agent.tgz"
            ? getAgentBundle
            : null;
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      route().then(
        async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        },
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
    server.on("upgrade", (req, socket, head) => {
      if (hub.isAgentPath(req.url)) hub.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    await hub.ready;
    consoleUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    setRuntime({ ...getRuntime(), publicUrl: consoleUrl });

    const user = await createUser(prisma, {
      email: "installer@provider.test",
      providerRole: "PROVIDER_ADMIN",
    });
    await prisma.totpSecret.create({
      data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() },
    });
    admin = callerFor(prisma, user.id);
    customerId = (await admin.customer.create({ name: "Install Co", require2fa: false })).id;
  });
  afterAll(async () => {
    await hub?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await stopDb?.();
  });

  it("installs, enrolls, refuses a spent token, re-enrolls with a new one, and the agent comes Online", async () => {
    const dir = tempDir("install");
    const paths = {
      prefix: path.join(dir, "opt", "mailwarden-agent"),
      config: path.join(dir, "etc", "agent.json"),
      stateDir: path.join(dir, "state"),
    };
    const created = await admin.server.create({ name: "mx-install", customerId });
    expect(created.commands.install).toBe(
      `curl -fsSL ${consoleUrl}/install.sh | sh -s -- --token ${created.token}`,
    );
    const oneLiner = (command: string) =>
      run("sh", [
        "-c",
        `${command} --prefix ${paths.prefix} --config ${paths.config} --state-dir ${paths.stateDir} --no-systemd ` +
          "--inbound-port 0 --submission-port 0 --submission-tls-port 0 --pop3-port 0 --pop3s-port 0",
      ]);

    const first = await oneLiner(created.commands.install);
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    for (const step of [
      "==> Checking Node.js and npm",
      `==> Downloading the agent from ${consoleUrl}/install/agent.tgz`,
      `==> Installing into ${paths.prefix}`,
      `==> Writing the settings file ${paths.config}`,
      `==> Enrolling with the console at ${consoleUrl}`,
      `mailwarden-agent.mjs run --config ${paths.config}`,
    ])
      expect(first.stdout).toContain(step);
    const credentialFile = path.join(paths.stateDir, "credential.json");
    expect(mode(credentialFile)).toBe(0o600);
    expect(mode(paths.config)).toBe(0o600);
    expect(mode(paths.stateDir)).toBe(0o700);
    expect(JSON.parse(readFileSync(paths.config, "utf8"))).toEqual({
      stateDir: paths.stateDir,
      listeners: {
        inbound: { port: 0 },
        submission: { port: 0 },
        submissionTls: { port: 0 },
        pop3: { port: 0 },
        pop3s: { port: 0 },
      },
    });
    const firstCredential = JSON.parse(readFileSync(credentialFile, "utf8")) as {
      agentId: string;
      secret: string;
    };
    expect(firstCredential.agentId).toBe(created.id);

    // The same (spent) token: refused with a clear message, the install and credential left in place.
    const replay = await oneLiner(created.commands.install);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/enrollment token is invalid, used or expired/);
    expect(replay.stderr).toMatch(/enrollment failed: the console refused the token/);
    expect(replay.stdout).toContain(`==> Keeping the existing settings file ${paths.config}`);
    expect(readFileSync(credentialFile, "utf8")).toContain(firstCredential.secret);

    // A new token re-enrolls (and reinstalls over the previous install).
    const renewed = await admin.server.newToken({ serverId: created.id });
    const second = await oneLiner(renewed.commands.install);
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    const secondCredential = JSON.parse(readFileSync(credentialFile, "utf8")) as { secret: string };
    expect(secondCredential.secret).not.toBe(firstCredential.secret);
    expect(existsSync(path.join(paths.prefix, "node_modules", "@mailwarden", "protocol"))).toBe(true);

    // The installed agent, started as printed, connects and the server turns Online.
    const agent = spawn(
      process.execPath,
      [path.join(paths.prefix, "bin", "mailwarden-agent.mjs"), "run", "--config", paths.config],
      { cwd: os.tmpdir(), env: childEnv, stdio: ["ignore", "ignore", "pipe"] },
    );
    let agentErr = "";
    agent.stderr.on("data", (chunk: Buffer) => (agentErr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => agent.on("exit", (code) => resolve(code)));
    try {
      await expect
        .poll(async () => (await prisma.server.findUniqueOrThrow({ where: { id: created.id } })).status, {
          timeout: 30_000,
          interval: 250,
        })
        .toBe("ONLINE");
    } catch (error) {
      throw new Error(`the installed agent did not come Online; its stderr:\n${agentErr}`, { cause: error });
    } finally {
      agent.kill("SIGTERM");
    }
    expect(await exited, agentErr).toBe(0);
  });
});
