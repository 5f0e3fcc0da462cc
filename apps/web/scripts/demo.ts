// `npm start`'s demo: a customer, a domain and a mailbox (with a random password printed once), and a
// local agent enrolled through the real hub with a real one-time token, listening on unprivileged ports.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { hashToken, markConfigChanged, writeAudit, type Db } from "@mailwarden/db";
import { hashPassword } from "../src/server/passwords";
import { newEnrollmentTokenValue } from "../src/server/services/servers";

const DEMO_CUSTOMER = "Demo Customer";
const DEMO_DOMAIN = "demo.mailwarden.test";
const DEMO_MAILBOX = "alice";
const system = { actorType: "SYSTEM" as const, actorLabel: "npm start (demo)" };

export interface DemoInfo {
  address: string;
  password: string | null;
  ports: { inbound: number; submission: number; submissionTls: number; pop3: number; pop3s: number };
}

function demoPassword(): string {
  return `Mw-${randomBytes(9).toString("base64url")}-7x`;
}

export async function ensureDemoData(
  prisma: Db,
  demoDir: string,
): Promise<{ tenantId: string; password: string | null }> {
  const existing = await prisma.tenant.findFirst({ where: { name: DEMO_CUSTOMER } });
  if (existing) return { tenantId: existing.id, password: null };
  const password = demoPassword();
  const passwordHash = await hashPassword(password);
  const tenantId = await prisma.$transaction(async (tx) => {
    const tenant = await tx.tenant.create({ data: { name: DEMO_CUSTOMER, slug: "demo-customer" } });
    const domain = await tx.domain.create({ data: { name: DEMO_DOMAIN, tenantId: tenant.id } });
    await tx.mailbox.create({
      data: {
        tenantId: tenant.id,
        domainId: domain.id,
        localPart: DEMO_MAILBOX,
        displayName: "Alice (demo)",
        passwordHash,
      },
    });
    await markConfigChanged(tx, { tenantId: tenant.id });
    await writeAudit(tx, {
      ...system,
      type: "CUSTOMER_CREATED",
      tenantId: tenant.id,
      targetType: "customer",
      targetId: tenant.id,
      summary: `Demo customer with ${DEMO_DOMAIN} and ${DEMO_MAILBOX}@${DEMO_DOMAIN} created`,
    });
    return tenant.id;
  });
  fs.mkdirSync(demoDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    path.join(demoDir, "mailbox-password.txt"),
    `${DEMO_MAILBOX}@${DEMO_DOMAIN} ${password}\n`,
    { mode: 0o600 },
  );
  return { tenantId, password };
}

function agentCommand(repoRoot: string, args: string[]) {
  return {
    cmd: process.execPath,
    args: [path.join(repoRoot, "agent", "bin", "mailwarden-agent.mjs"), ...args],
  };
}

function waitForExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
}

/** Enrolls the demo agent on first start, then runs it; returns a stop function. */
export async function startDemoAgent(options: {
  prisma: Db;
  repoRoot: string;
  demoDir: string;
  hubUrl: string;
  tenantId: string;
  basePort: number;
}): Promise<{ stop(): Promise<void>; ports: DemoInfo["ports"] }> {
  const { prisma, repoRoot, demoDir } = options;
  const ports = {
    inbound: options.basePort,
    submission: options.basePort + 1,
    submissionTls: options.basePort + 2,
    pop3: options.basePort + 3,
    pop3s: options.basePort + 4,
  };
  const configPath = path.join(demoDir, "agent.json");
  fs.mkdirSync(demoDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    configPath,
    JSON.stringify(
      {
        stateDir: path.join(demoDir, "state"),
        hostname: "demo-agent.localhost",
        listeners: {
          inbound: { port: ports.inbound, host: "127.0.0.1" },
          submission: { port: ports.submission, host: "127.0.0.1" },
          submissionTls: { port: ports.submissionTls, host: "127.0.0.1" },
          pop3: { port: ports.pop3, host: "127.0.0.1" },
          pop3s: { port: ports.pop3s, host: "127.0.0.1" },
        },
      },
      null,
      2,
    ),
  );
  const enrolled = fs.existsSync(path.join(demoDir, "state", "credential.json"));
  if (!enrolled) {
    const token = newEnrollmentTokenValue();
    await prisma.$transaction(async (tx) => {
      const server = await tx.server.create({ data: { name: "demo-agent", tenantId: options.tenantId } });
      await tx.enrollmentToken.create({
        data: {
          serverId: server.id,
          tokenHash: hashToken(token),
          expiresAt: new Date(Date.now() + 10 * 60_000),
        },
      });
      await writeAudit(tx, {
        ...system,
        type: "ENROLLMENT_TOKEN_CREATED",
        tenantId: options.tenantId,
        targetType: "server",
        targetId: server.id,
        summary: "Enrollment token issued for the demo agent",
      });
    });
    const { cmd, args } = agentCommand(repoRoot, [
      "enroll",
      "--url",
      options.hubUrl,
      "--token",
      token,
      "--config",
      configPath,
    ]);
    const code = await waitForExit(spawn(cmd, args, { stdio: "inherit" }));
    if (code !== 0) throw new Error(`demo agent enrollment failed (exit ${code})`);
  }
  const log = fs.openSync(path.join(demoDir, "agent.log"), "a");
  const { cmd, args } = agentCommand(repoRoot, ["run", "--config", configPath]);
  const child = spawn(cmd, args, { stdio: ["ignore", log, log] });
  return {
    ports,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 12_000);
      await waitForExit(child);
      clearTimeout(timer);
      fs.closeSync(log);
    },
  };
}
