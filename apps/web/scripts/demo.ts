// `npm start`'s demo: a customer, a domain and a mailbox (with a random password kept in the data
// directory and shown at every start while it still works), and a local agent enrolled through the real
// hub with a real one-time token, listening on unprivileged ports. The agent runs supervised
// (../src/server/supervise): however it ends, stopping it never waits for a process already gone.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { hashToken, markConfigChanged, writeAudit, type Db, type Listener } from "@mailwarden/db";
import { hashPassword, verifyPassword } from "../src/server/passwords";
import { newEnrollmentTokenValue } from "../src/server/services/servers";
import { describeExit, spawnSupervised, type ChildExit } from "../src/server/supervise";

const DEMO_CUSTOMER = "Demo Customer";
const DEMO_DOMAIN = "demo.mailwarden.test";
const DEMO_MAILBOX = "alice";
const system = { actorType: "SYSTEM" as const, actorLabel: "npm start (demo)" };

export const DEMO_ADDRESS = `${DEMO_MAILBOX}@${DEMO_DOMAIN}`;

export type DemoPorts = Record<"inbound" | "submission" | "submissionTls" | "pop3" | "pop3s", number>;

export interface DemoAgent {
  ports: DemoPorts;
  serverId: string;
  logFile: string;
  /** Stops the agent (SIGTERM, SIGKILL after 12 s); at once if it already exited. Idempotent. */
  stop(): Promise<void>;
}

function demoPassword(): string {
  return `Mw-${randomBytes(9).toString("base64url")}-7x`;
}

/** The password written at first start, if the mailbox still has it (an admin may have changed it). */
async function currentDemoPassword(prisma: Db, tenantId: string, demoDir: string): Promise<string | null> {
  const file = path.join(demoDir, "mailbox-password.txt");
  const password = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split(/\s+/)[1] : undefined;
  const mailbox = await prisma.mailbox.findFirst({
    where: { tenantId, localPart: DEMO_MAILBOX, domain: { name: DEMO_DOMAIN } },
    select: { passwordHash: true },
  });
  return password && mailbox && (await verifyPassword(mailbox.passwordHash, password)) ? password : null;
}

export async function ensureDemoData(
  prisma: Db,
  demoDir: string,
): Promise<{ tenantId: string; password: string | null }> {
  const existing = await prisma.tenant.findFirst({ where: { name: DEMO_CUSTOMER } });
  if (existing) {
    return { tenantId: existing.id, password: await currentDemoPassword(prisma, existing.id, demoDir) };
  }
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

/** Enrolls the demo agent on first start, then runs it. */
export async function startDemoAgent(options: {
  prisma: Db;
  repoRoot: string;
  demoDir: string;
  hubUrl: string;
  tenantId: string;
  basePort: number;
  /** The agent ended without being asked to (the console keeps running). */
  onUnexpectedExit?: (exit: ChildExit) => void;
}): Promise<DemoAgent> {
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
  const logFile = path.join(demoDir, "agent.log");
  const credentialFile = path.join(demoDir, "state", "credential.json");
  if (!fs.existsSync(credentialFile)) {
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
    const exit = await spawnSupervised(cmd, args, { logFile }).exited;
    if (exit.code !== 0) {
      throw new Error(`demo agent enrollment failed (${describeExit(exit)}); see ${logFile}`);
    }
  }
  // The agent's id is its server's id in the console.
  const serverId = (JSON.parse(fs.readFileSync(credentialFile, "utf8")) as { agentId: string }).agentId;
  const { cmd, args } = agentCommand(repoRoot, ["run", "--config", configPath]);
  const child = spawnSupervised(cmd, args, { logFile, onUnexpectedExit: options.onUnexpectedExit });
  return {
    ports,
    serverId,
    logFile,
    stop: async () => void (await child.stop()),
  };
}

/**
 * Waits until the agent has said hello to the hub (it opens its listeners before that), or gives up
 * after `timeoutMs`; false when it did not (the banner says to look at its log).
 */
export async function waitForDemoAgent(prisma: Db, serverId: string, since: Date, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const server = await prisma.server.findUnique({
      where: { id: serverId },
      select: { status: true, lastSeenAt: true },
    });
    if (server?.status === "ONLINE" && server.lastSeenAt && server.lastSeenAt >= since) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** The listeners the console has on for the demo server (the agent opens exactly these). */
export async function demoListeners(prisma: Db, serverId: string): Promise<Listener[]> {
  return (
    (await prisma.server.findUnique({ where: { id: serverId }, select: { listeners: true } }))?.listeners ??
    []
  );
}
