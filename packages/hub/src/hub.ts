// The agents' WebSocket endpoint, mountable on any http server: the dashboard's custom server hands it
// upgrades on /agent, tests hand it theirs. One process holds some agents' sockets; Postgres
// LISTEN/NOTIFY tells every process which scope's config changed and which commands the dashboard
// issued, and each pushes to the agents it holds. New connections are admitted at a rate (a reconnect
// storm is spread out with Retry-After); a hub that cannot listen keeps retrying and says so in health().
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { pino, type Logger } from "pino";
import { WebSocketServer } from "ws";
import {
  ActorType,
  AuditEventType,
  agentCommandHandler,
  commandChannel,
  configChangeHandler,
  configChannel,
  listenChannels,
  writeAudits,
  type ChannelListener,
  type ConfigChangeScope,
  type Db,
} from "@mailwarden/db";
import { AGENT_PATH, MAX_FRAME_BYTES } from "@mailwarden/protocol";
import { DEFAULT_COMMAND_TIMEOUT_MS, serversWithPendingCommands, sweepAgentCommands } from "./agent-commands";
import { AdmissionGate } from "./admission";
import { AgentConnection, type HubContext } from "./agent-connection";
import { loadCredentials } from "./authentication";
import { BatchLoader } from "./batch-loader";
import { DbWork } from "./db-work";
import { ConfigFanOut } from "./fan-out";
import { startMailLogRetention, type MailLogRetentionJob } from "./log-ingest";
import { RefusalAuditLimiter } from "./refusal-audit-limiter";
import { ServerStateWriter } from "./server-state-writer";

export interface HubOptions {
  prisma: Db;
  /** For the LISTEN connection, which must not come from Prisma's pool. */
  databaseUrl: string;
  logger?: Logger;
  /** Announced to agents in hub.welcome; two intervals without a frame mark the server offline. */
  heartbeatIntervalMs?: number;
  /** Time a new socket has to send agent.hello or agent.enroll. */
  handshakeTimeoutMs?: number;
  /** Refusals audited per remote address per minute before the rest only go to the log. */
  refusalAuditsPerMinute?: number;
  /** Dashboard commands not answered within this long expire (default 2 minutes). */
  commandTimeoutMs?: number;
  /** New agent connections admitted per second; beyond it 503 + Retry-After (default 500). */
  admitPerSecond?: number;
  /** Database calls the hub makes at once (default 4; keep it below the Prisma pool's size). */
  dbConcurrency?: number;
  /** How long agents' state writes wait to be batched (default 100 ms). */
  stateFlushMs?: number;
  /**
   * Mail-log batches stored at once (default 2): a limiter of their own, so a flood of logs never
   * delays hellos or config pushes. Keep this plus dbConcurrency below the Prisma pool's size.
   */
  logDbConcurrency?: number;
  /** How often expired mail-log days are dropped (default hourly; 0 turns it off). */
  logRetentionIntervalMs?: number;
}

/** What /healthz reports: a hub is healthy only while it hears config changes. */
export interface HubHealth {
  ok: boolean;
  /** False until start-up finished and while the LISTEN connection is being re-established. */
  listening: boolean;
  agents: number;
  /** Agents' state writes waiting (grows while the database is unreachable). */
  pendingWrites: number;
  /** The start-up or LISTEN failure being retried, if any. */
  problem: string | null;
}

export interface Hub {
  /** Takes over an upgrade request for the agent path (anything else gets a 404). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  isAgentPath(url: string | undefined): boolean;
  /** Ids of the servers whose agent holds an authenticated socket to this process. */
  connectedAgentIds(): string[];
  /** Resolves once config-change and command notifications are being received (start-up retries until then). */
  readonly ready: Promise<void>;
  health(): HubHealth;
  /** Closes every agent socket with 1001, stops LISTEN and timers, waits for pending database writes. */
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 2000;

export function isAgentPath(url: string | undefined): boolean {
  if (!url) return false;
  const path = url.split("?", 1)[0];
  return path === AGENT_PATH;
}

export function createHub(options: HubOptions): Hub {
  const { prisma, databaseUrl } = options;
  const logger = options.logger ?? pino({ name: "mailwarden-hub" });
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 15_000;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const sessions = new Map<string, AgentConnection>();
  const pending = new Set<Promise<unknown>>();
  let isClosing = false;
  let listener: ChannelListener | null = null;
  let problem: string | null = null;
  /** Cuts short the wait between start-up attempts when the hub closes. */
  let wakeStartup = () => {};

  const work = new DbWork({ concurrency: options.dbConcurrency ?? 4, logger });
  const logWork = new DbWork({ concurrency: options.logDbConcurrency ?? 2, logger });
  let retention: MailLogRetentionJob | null = null;
  const states = new ServerStateWriter({
    prisma,
    logger,
    flushMs: options.stateFlushMs,
    // Last-seen writes must land well within an interval (the sweeps count intervals of silence).
    lazyFlushMs: Math.min(1000, Math.max(10, heartbeatIntervalMs / 4)),
  });
  const fanOut = new ConfigFanOut({ prisma, work, logger, targetOf: (id) => sessions.get(id) });
  const admission = new AdmissionGate(options.admitPerSecond ?? 500);
  // Connection ids name this process and a counter: unique across hubs without a database round trip.
  const processTag = randomBytes(6).toString("base64url");
  let connectionCount = 0;

  const ctx: HubContext = {
    prisma,
    logger,
    heartbeatIntervalMs,
    handshakeTimeoutMs,
    commandTimeoutMs,
    sessions,
    refusalAudits: new RefusalAuditLimiter(options.refusalAuditsPerMinute ?? 30),
    work,
    logWork,
    states,
    fanOut,
    credentials: new BatchLoader((ids) => work.run("agent credentials", () => loadCredentials(prisma, ids))),
    pendingCommands: new BatchLoader((ids) =>
      work.run("pending commands", () => serversWithPendingCommands(prisma, ids, commandTimeoutMs)),
    ),
    newConnectionId: () => `${processTag}.${(++connectionCount).toString(36)}`,
    track(task) {
      pending.add(task);
      void task.finally(() => pending.delete(task)).catch(() => undefined);
    },
    isClosing: () => isClosing,
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  wss.on("error", (error) => logger.error({ err: error }, "websocket server error"));

  // Checked a few times per interval so a silent agent goes offline soon after its second missed beat.
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const connection of new Set(sessions.values())) {
        if (connection.isSilentFor(2 * heartbeatIntervalMs, now)) connection.expire();
      }
    },
    Math.max(10, Math.floor(heartbeatIntervalMs / 4)),
  );
  sweeper.unref();

  // Every hub puts right servers left ONLINE by a hub that died (or whose offline mark never made it):
  // a live connection writes last-seen at least once per interval, so three intervals of silence is none.
  const abandonedSweeper = setInterval(() => {
    if (!isClosing) ctx.track(sweepAbandoned(3 * heartbeatIntervalMs, "no hub has heard from it"));
  }, heartbeatIntervalMs);
  abandonedSweeper.unref();

  async function sweepAbandoned(silenceMs: number, why: string): Promise<void> {
    try {
      const count = await work.run("abandoned servers", () =>
        markAbandonedServersOffline(prisma, silenceMs, why),
      );
      if (count > 0) logger.info({ count }, "marked abandoned servers offline");
    } catch (error) {
      logger.error({ err: error }, "could not mark abandoned servers offline");
    }
  }

  // Every hub expires unanswered commands (and forgets old ones); doing it twice is harmless.
  const expireCommands = () => {
    const task = sweepAgentCommands(prisma, commandTimeoutMs).then(
      (count) => count > 0 && logger.info({ count }, "unanswered agent commands expired"),
      (error: unknown) => logger.error({ err: error }, "could not expire agent commands"),
    );
    ctx.track(task);
  };
  const commandSweeper = setInterval(expireCommands, Math.max(50, Math.min(30_000, commandTimeoutMs / 4)));
  commandSweeper.unref();

  function onConfigChanged(scope: ConfigChangeScope): void {
    if ("all" in scope) return fanOut.request(sessions.keys());
    if ("serverId" in scope) return fanOut.request([scope.serverId]);
    const ids: string[] = [];
    for (const [id, connection] of sessions) if (connection.tenant === scope.tenantId) ids.push(id);
    fanOut.request(ids);
  }

  function onCommandIssued(commandId: string): void {
    if (sessions.size === 0) return;
    const task = work
      .run("agent command lookup", () =>
        prisma.agentCommand.findUnique({ where: { id: commandId }, select: { serverId: true } }),
      )
      .then(
        (row) => row && sessions.get(row.serverId)?.onCommandsPending(),
        (error: unknown) => logger.error({ err: error, commandId }, "could not look up an agent command"),
      );
    ctx.track(task);
  }

  /** Notifications sent while no LISTEN connection was up are lost: re-check every held agent. */
  function recheckAll(): void {
    fanOut.request(sessions.keys());
    for (const connection of new Set(sessions.values())) connection.onCommandsPending();
  }

  // Start-up retries until it listens: a hub must never serve agents deaf to policy changes.
  const ready = (async () => {
    for (let attempt = 0; !isClosing; attempt++) {
      try {
        await sweepAbandoned(2 * heartbeatIntervalMs, "no frame since the previous hub stopped");
        const log = (line: string) => logger.warn(line);
        const subscription = await listenChannels(
          databaseUrl,
          {
            [configChannel]: configChangeHandler(onConfigChanged, log),
            [commandChannel]: agentCommandHandler(onCommandIssued, log),
          },
          { onReconnect: recheckAll, log },
        );
        if (isClosing) {
          await subscription.close();
          return;
        }
        listener = subscription;
        problem = null;
        // Agents that said hello while this process was still starting may have missed a notification.
        recheckAll();
        expireCommands();
        const retentionMs = options.logRetentionIntervalMs ?? 3_600_000;
        if (retentionMs > 0) {
          retention = startMailLogRetention({ prisma, logger, intervalMs: retentionMs, track: ctx.track });
        }
        return;
      } catch (error) {
        problem = `cannot listen for changes: ${error instanceof Error ? error.message : String(error)}`;
        const delayMs = Math.min(10_000, 250 * 2 ** attempt);
        logger.error({ err: error, delayMs }, "hub start-up failed; retrying");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          wakeStartup = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();

  function health(): HubHealth {
    const listening = listener?.isListening() ?? false;
    return {
      ok: listening && !isClosing,
      listening,
      agents: sessions.size,
      pendingWrites: states.backlog,
      problem: isClosing
        ? "shutting down"
        : (problem ?? (listener && !listening ? "LISTEN connection lost; reconnecting" : null)),
    };
  }

  function refuseUpgrade(socket: Duplex, status: string, headers: string[] = []): void {
    socket.end([`HTTP/1.1 ${status}`, "Connection: close", ...headers, "", ""].join("\r\n"));
    socket.destroy();
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", (error) => logger.debug({ err: error }, "upgrade socket error"));
    if (isClosing) return refuseUpgrade(socket, "503 Service Unavailable", ["Retry-After: 5"]);
    if (!isAgentPath(req.url)) return refuseUpgrade(socket, "404 Not Found");
    const retryAfterSeconds = admission.admit();
    if (retryAfterSeconds > 0) {
      return refuseUpgrade(socket, "503 Service Unavailable", [`Retry-After: ${retryAfterSeconds}`]);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const ip = req.socket.remoteAddress ?? "unknown";
      new AgentConnection(ws, ip, ctx);
    });
  }

  async function close(): Promise<void> {
    if (isClosing) return;
    isClosing = true;
    wakeStartup();
    clearInterval(sweeper);
    clearInterval(abandonedSweeper);
    clearInterval(commandSweeper);
    retention?.stop();
    await fanOut.close();
    const sockets = [...wss.clients];
    const allClosed = Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) =>
            ws.readyState === ws.CLOSED ? resolve() : ws.once("close", () => resolve()),
          ),
      ),
    );
    for (const ws of sockets) {
      ws.close(1001, "hub shutting down");
    }
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([allClosed, deadline]);
    for (const ws of sockets) ws.terminate();
    await allClosed;
    await ready.catch(() => undefined);
    await listener?.close();
    listener = null;
    // Offline marks and audits of the sockets just closed.
    while (pending.size > 0) await Promise.allSettled([...pending]);
    await states.drain();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return {
    handleUpgrade,
    isAgentPath,
    connectedAgentIds: () => [...sessions.keys()],
    ready,
    health,
    close,
  };
}

/**
 * Servers ONLINE that nobody has heard from for `silenceMs` (their hub died, or its offline mark was
 * lost) go OFFLINE, in one statement, each with an audit event. Compared on the database's clock.
 */
async function markAbandonedServersOffline(prisma: Db, silenceMs: number, why: string): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ id: string; tenantId: string }[]>(
      `UPDATE "Server" SET "status" = 'OFFLINE', "connectionId" = NULL
        WHERE "status" = 'ONLINE'
          AND ("lastSeenAt" IS NULL OR "lastSeenAt" < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1))
      RETURNING "id", "tenantId"`,
      silenceMs / 1000,
    );
    await writeAudits(
      tx,
      rows.map((row) => ({
        type: AuditEventType.AGENT_DISCONNECTED,
        actorType: ActorType.SYSTEM,
        actorLabel: "hub",
        tenantId: row.tenantId,
        targetType: "Server",
        targetId: row.id,
        summary: `Agent marked offline: ${why}`,
      })),
    );
    return rows.length;
  });
}
