// The agents' WebSocket endpoint, mountable on any http server: the dashboard's custom server hands it
// upgrades on /agent, tests hand it theirs. One process holds some agents' sockets; Postgres
// LISTEN/NOTIFY tells every process which servers' config changed and which commands the dashboard
// issued, and each pushes to the agents it holds.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { pino, type Logger } from "pino";
import { WebSocketServer } from "ws";
import {
  ActorType,
  AuditEventType,
  ServerStatus,
  agentCommandHandler,
  commandChannel,
  configChangeHandler,
  configChannel,
  listenChannels,
  writeAudit,
  type Db,
} from "@mailwarden/db";
import { AGENT_PATH, MAX_FRAME_BYTES } from "@mailwarden/protocol";
import { DEFAULT_COMMAND_TIMEOUT_MS, sweepAgentCommands } from "./agent-commands";
import { AgentConnection, type HubContext } from "./agent-connection";
import { RefusalAuditLimiter } from "./refusal-audit-limiter";

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
}

export interface Hub {
  /** Takes over an upgrade request for the agent path (anything else gets a 404). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  isAgentPath(url: string | undefined): boolean;
  /** Ids of the servers whose agent holds an authenticated socket to this process. */
  connectedAgentIds(): string[];
  /** Settles once config-change and command notifications are being received; rejects if LISTEN failed. */
  readonly ready: Promise<void>;
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

  const ctx: HubContext = {
    prisma,
    logger,
    heartbeatIntervalMs,
    handshakeTimeoutMs,
    commandTimeoutMs,
    sessions,
    refusalAudits: new RefusalAuditLimiter(options.refusalAuditsPerMinute ?? 30),
    track(work) {
      pending.add(work);
      void work.finally(() => pending.delete(work)).catch(() => undefined);
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

  // Every hub expires unanswered commands (and forgets old ones); doing it twice is harmless.
  const expireCommands = () => {
    const work = sweepAgentCommands(prisma, commandTimeoutMs).then(
      (count) => count > 0 && logger.info({ count }, "unanswered agent commands expired"),
      (error: unknown) => logger.error({ err: error }, "could not expire agent commands"),
    );
    ctx.track(work);
  };
  const commandSweeper = setInterval(expireCommands, Math.max(50, Math.min(30_000, commandTimeoutMs / 4)));
  commandSweeper.unref();

  let listener: { close(): Promise<void> } | null = null;

  function onConfigChanged(serverIds: string[]): void {
    for (const id of serverIds) sessions.get(id)?.onConfigChanged();
  }

  function onCommandIssued(commandId: string): void {
    if (sessions.size === 0) return;
    const work = prisma.agentCommand
      .findUnique({ where: { id: commandId }, select: { serverId: true } })
      .then(
        (row) => row && sessions.get(row.serverId)?.onCommandsPending(),
        (error: unknown) => logger.error({ err: error, commandId }, "could not look up an agent command"),
      );
    ctx.track(work);
  }

  /** Notifications sent while a LISTEN connection was down are lost: re-check every held agent. */
  function sendAllPendingCommands(): void {
    for (const connection of new Set(sessions.values())) connection.onCommandsPending();
  }

  const ready = (async () => {
    await markAbandonedServersOffline(prisma, 2 * heartbeatIntervalMs, logger);
    const log = (line: string) => logger.warn(line);
    // One LISTEN connection for both channels.
    const subscription = await listenChannels(
      databaseUrl,
      {
        [configChannel]: configChangeHandler(onConfigChanged, log),
        [commandChannel]: agentCommandHandler(onCommandIssued, log),
      },
      {
        onReconnect: () => {
          onConfigChanged([...sessions.keys()]);
          sendAllPendingCommands();
        },
        log,
      },
    );
    if (isClosing) {
      await subscription.close();
      return;
    }
    listener = subscription;
    // Agents that said hello while this process was still starting may have missed a notification.
    sendAllPendingCommands();
    expireCommands();
  })();
  ready.catch((error: unknown) => logger.error({ err: error }, "hub start-up failed"));

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", (error) => logger.debug({ err: error }, "upgrade socket error"));
    if (isClosing || !isAgentPath(req.url)) {
      socket.end(
        `HTTP/1.1 ${isClosing ? "503 Service Unavailable" : "404 Not Found"}\r\nConnection: close\r\n\r\n`,
      );
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const ip = req.socket.remoteAddress ?? "unknown";
      new AgentConnection(ws, ip, ctx);
    });
  }

  async function close(): Promise<void> {
    if (isClosing) return;
    isClosing = true;
    clearInterval(sweeper);
    clearInterval(commandSweeper);
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
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return {
    handleUpgrade,
    isAgentPath,
    connectedAgentIds: () => [...sessions.keys()],
    ready,
    close,
  };
}

/** A hub that crashed left its agents ONLINE; whoever starts next puts them right. */
async function markAbandonedServersOffline(prisma: Db, silenceMs: number, logger: Logger): Promise<void> {
  const cutoff = new Date(Date.now() - silenceMs);
  const stale = { status: ServerStatus.ONLINE, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: cutoff } }] };
  const servers = await prisma.server.findMany({ where: stale, select: { id: true, tenantId: true } });
  for (const server of servers) {
    await prisma.$transaction(async (tx) => {
      const updated = await tx.server.updateMany({
        where: { id: server.id, ...stale },
        data: { status: ServerStatus.OFFLINE },
      });
      if (updated.count !== 1) return;
      await writeAudit(tx, {
        type: AuditEventType.AGENT_DISCONNECTED,
        actorType: ActorType.SYSTEM,
        actorLabel: "hub",
        tenantId: server.tenantId,
        targetType: "Server",
        targetId: server.id,
        summary: "Agent marked offline at hub start: no frame since the previous hub stopped",
      });
    });
  }
  if (servers.length > 0) logger.info({ count: servers.length }, "marked abandoned servers offline");
}
