// One agent's socket, from its first frame to its close. Frames are handled one at a time, in order, on
// a promise chain: a hello must finish authenticating before the frames behind it are looked at, and a
// config push can never overtake an earlier one. Nothing here may throw into ws: every failure ends as a
// close code the agent can act on and, for refusals, one audit row.
import type { Logger } from "pino";
import type WebSocket from "ws";
import {
  ActorType,
  AuditEventType,
  ServerStatus,
  writeAudit,
  type AuditEntry,
  type Db,
} from "@mailwarden/db";
import {
  CloseCode,
  PROTOCOL_VERSION,
  agentMessageSchema,
  parseFrame,
  type AgentMessage,
  type Posture,
} from "@mailwarden/protocol";
import { auditNewSuspensions } from "./abuse-alerts";
import { recordCommandResult, sendPendingCommands } from "./agent-commands";
import { buildAgentConfig } from "./agent-config";
import { authenticateAgent } from "./authentication";
import { redeemEnrollmentToken } from "./enrollment";
import type { RefusalAuditLimiter } from "./refusal-audit-limiter";
import { closeSocket, sendMessage } from "./socket-io";

/** What every connection of one hub shares. */
export interface HubContext {
  prisma: Db;
  logger: Logger;
  heartbeatIntervalMs: number;
  handshakeTimeoutMs: number;
  /** Dashboard commands older than this are no longer sent (see ./agent-commands). */
  commandTimeoutMs: number;
  /** The current connection of each authenticated agent held by this process. */
  sessions: Map<string, AgentConnection>;
  refusalAudits: RefusalAuditLimiter;
  /** Database work still running when the hub closes is awaited, not cut off. */
  track(work: Promise<unknown>): void;
  isClosing(): boolean;
}

type AgentMessageOf<T extends AgentMessage["type"]> = Extract<AgentMessage, { type: T }>;
type State = "handshake" | "enrolling" | "authenticating" | "session" | "closed";

/** How long a socket that was told to close may take to answer before it is cut. */
const CLOSE_GRACE_MS = 1000;

export class AgentConnection {
  private state: State = "handshake";
  private serverId: string | null = null;
  private tenantId: string | null = null;
  private hostname: string | null = null;
  /** The revision the agent runs or was last sent; a change notification pushes only when this differs. */
  private knownRevision: number | null = null;
  private lastFrameAt = Date.now();
  /** When lastSeenAt was last written, to write it at most once per heartbeat interval. */
  private lastSeenWrittenAt = 0;
  /** The lastSeenAt this connection last wrote: it only marks the server offline if nobody wrote since. */
  private lastSeenWritten: Date | null = null;
  private isRefusalAudited = false;
  private isOfflineMarked = false;
  private work: Promise<void> = Promise.resolve();
  private readonly handshakeTimer: NodeJS.Timeout;
  private log: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly ip: string,
    private readonly ctx: HubContext,
  ) {
    this.log = ctx.logger.child({ ip });
    ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    ws.on("error", (error) => this.onSocketError(error));
    ws.on("close", (code, reason) => this.onClose(code, reason.toString("utf8")));
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), ctx.handshakeTimeoutMs);
  }

  /** True when an authenticated session has been silent for longer than `ms`. */
  isSilentFor(ms: number, now: number): boolean {
    return this.state === "session" && now - this.lastFrameAt > ms;
  }

  /** The sweeper found no frame for two intervals. */
  expire(): void {
    if (this.state !== "session") return;
    const silentMs = Date.now() - this.lastFrameAt;
    this.log.info({ silentMs }, "agent missed two heartbeats");
    this.closeAndCut(CloseCode.heartbeatTimeout, `no frame for ${silentMs} ms`);
    // A vanished peer never answers the close frame: the server goes offline now, not when TCP gives up.
    this.endSession(`missed heartbeats (no frame for ${silentMs} ms)`);
  }

  /** A newer connection of the same agent took over. */
  replace(): void {
    this.closeAndCut(CloseCode.replaced, "replaced by a newer connection");
  }

  /** The hub is shutting down. */
  goAway(): void {
    clearTimeout(this.handshakeTimer);
    this.closeAndCut(CloseCode.goingAway, "hub shutting down");
  }

  /** Called when LISTEN/NOTIFY says something this server enforces (or its status) changed. */
  onConfigChanged(): void {
    this.enqueue(async () => {
      if (this.state !== "session" || !this.serverId) return;
      const server = await this.ctx.prisma.server.findUnique({
        where: { id: this.serverId },
        select: { status: true, desiredRevision: true, credential: { select: { revokedAt: true } } },
      });
      if (!this.isInGoodStanding(server)) return;
      if (server.desiredRevision !== this.knownRevision) await this.pushConfig();
    });
  }

  /** Called when the dashboard issued a command for this server (or commands may have been missed). */
  onCommandsPending(): void {
    this.enqueue(() => this.sendCommands());
  }

  /** Closes the socket of a server that was revoked or deleted since its hello. */
  private isInGoodStanding<T extends { status: ServerStatus; credential: { revokedAt: Date | null } | null }>(
    server: T | null,
  ): server is T {
    if (!server || !server.credential) {
      this.log.info("server or credential deleted: closing");
      this.closeAndCut(CloseCode.unauthorized, "unknown agent");
      return false;
    }
    if (server.status === ServerStatus.REVOKED || server.credential.revokedAt) {
      this.log.info("agent revoked: closing");
      this.closeAndCut(CloseCode.revoked, "agent revoked");
      return false;
    }
    return true;
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.state === "closed" || this.ws.readyState !== this.ws.OPEN) return;
    this.lastFrameAt = Date.now();
    const parsed = isBinary
      ? ({ ok: false, reason: "frame is not text" } as const)
      : parseFrame(agentMessageSchema, data);
    if (!parsed.ok) {
      this.refuse(CloseCode.badFrame, parsed.reason, AuditEventType.AGENT_PROTOCOL_ERROR);
      return;
    }
    const message = parsed.message;
    this.enqueue(() => this.dispatch(message));
  }

  private async dispatch(message: AgentMessage): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.state === "handshake") {
      if (message.type === "agent.enroll") return this.enroll(message);
      if (message.type === "agent.hello") return this.hello(message);
      return this.refuse(
        CloseCode.badFrame,
        `expected agent.hello or agent.enroll first, got ${message.type}`,
        AuditEventType.AGENT_PROTOCOL_ERROR,
      );
    }
    if (this.state !== "session") return; // enrollment finished or closing: late frames are dropped
    await this.touchLastSeen();
    if (this.ws.readyState !== this.ws.OPEN) return;
    switch (message.type) {
      case "agent.heartbeat":
        sendMessage(this.ws, { type: "hub.heartbeat.ack", receivedAt: new Date().toISOString() });
        return;
      case "agent.config.applied":
        return this.configApplied(message.revision);
      case "agent.config.rejected":
        return this.configRejected(message.revision, message.errors);
      case "agent.posture":
        return this.postureReported(message.posture);
      case "agent.command.result":
        return this.commandAnswered(message);
      default:
        return this.refuse(
          CloseCode.badFrame,
          `unexpected ${message.type} after hello`,
          AuditEventType.AGENT_PROTOCOL_ERROR,
        );
    }
  }

  private async enroll(message: AgentMessageOf<"agent.enroll">): Promise<void> {
    clearTimeout(this.handshakeTimer);
    this.state = "enrolling";
    this.hostname = message.hostname;
    if (message.protocolVersion !== PROTOCOL_VERSION) return this.refuseVersion(message.protocolVersion);
    const result = await redeemEnrollmentToken(this.ctx.prisma, {
      token: message.token,
      hostname: message.hostname,
      agentVersion: message.agentVersion,
      ip: this.ip,
    });
    if (!result.ok) {
      return this.refuse(result.code, result.reason, AuditEventType.AGENT_ENROLL_FAILED, {
        serverId: result.serverId,
        tenantId: result.tenantId,
      });
    }
    this.log.info({ agentId: result.serverId }, "agent enrolled");
    sendMessage(this.ws, { type: "hub.enrolled", agentId: result.serverId, secret: result.secret });
    this.state = "closed";
    closeSocket(this.ws, 1000, "enrolled");
  }

  private async hello(message: AgentMessageOf<"agent.hello">): Promise<void> {
    clearTimeout(this.handshakeTimer);
    this.state = "authenticating";
    this.hostname = message.hostname;
    if (message.protocolVersion !== PROTOCOL_VERSION) return this.refuseVersion(message.protocolVersion);
    const auth = await authenticateAgent(this.ctx.prisma, message.agentId, message.secret);
    if (!auth.ok) {
      return this.refuse(auth.code, auth.reason, AuditEventType.AGENT_AUTH_FAILED, {
        detail: auth.detail,
        serverId: auth.serverId,
        tenantId: auth.tenantId,
      });
    }
    if (this.ctx.isClosing()) return this.goAway();
    const { server } = auth;
    this.serverId = server.id;
    this.tenantId = server.tenantId;
    this.log = this.log.child({ agentId: server.id });
    // Registered before the desired revision is read: a change notified from now on queues behind this
    // hello on the work chain instead of slipping between the read and the registration.
    const previous = this.ctx.sessions.get(server.id);
    this.ctx.sessions.set(server.id, this);
    if (previous && previous !== this) previous.replace();

    const now = new Date();
    const desiredRevision = await this.ctx.prisma.$transaction(async (tx) => {
      // Conditional: a revocation committed since the credential check must not be overwritten.
      const updated = await tx.server.updateMany({
        where: { id: server.id, status: { not: ServerStatus.REVOKED } },
        data: {
          status: ServerStatus.ONLINE,
          lastSeenAt: now,
          hostname: message.hostname,
          agentVersion: message.agentVersion,
        },
      });
      if (updated.count !== 1) return null;
      await writeAudit(tx, {
        ...this.auditBase(),
        type: AuditEventType.AGENT_CONNECTED,
        summary: `Agent connected from ${this.ip} (${message.hostname}, agent ${message.agentVersion})`,
        after: {
          hostname: message.hostname,
          agentVersion: message.agentVersion,
          appliedRevision: message.appliedRevision,
        },
      });
      const row = await tx.server.findUniqueOrThrow({
        where: { id: server.id },
        select: { desiredRevision: true },
      });
      return row.desiredRevision;
    });
    if (desiredRevision === null) {
      this.unregister();
      return this.refuse(CloseCode.revoked, "agent revoked", AuditEventType.AGENT_AUTH_FAILED, {
        serverId: server.id,
        tenantId: server.tenantId,
      });
    }
    this.lastSeenWritten = now;
    this.lastSeenWrittenAt = now.getTime();
    this.knownRevision = message.appliedRevision;
    this.state = "session";
    if (this.ws.readyState !== this.ws.OPEN) {
      // The agent left (or was replaced) while ONLINE was written; its close event saw no session yet.
      this.endSession("closed during the handshake");
      return;
    }

    this.log.info("agent connected");
    sendMessage(this.ws, {
      type: "hub.welcome",
      agentId: server.id,
      heartbeatIntervalMs: this.ctx.heartbeatIntervalMs,
    });
    if (desiredRevision !== message.appliedRevision) await this.pushConfig();
    await this.sendCommands();
  }

  private async commandAnswered(message: AgentMessageOf<"agent.command.result">): Promise<void> {
    if (!this.serverId) return;
    await recordCommandResult(this.ctx.prisma, this.serverId, message, this.log);
  }

  /** Hands this server's PENDING dashboard commands to the agent. */
  private async sendCommands(): Promise<void> {
    const serverId = this.serverId;
    if (this.state !== "session" || !serverId) return;
    await sendPendingCommands(
      this.ctx.prisma,
      serverId,
      (commandId, command) =>
        this.state === "session" && sendMessage(this.ws, { type: "hub.command", commandId, command }),
      { timeoutMs: this.ctx.commandTimeoutMs, logger: this.log },
    );
  }

  private async pushConfig(): Promise<void> {
    if (!this.serverId) return;
    let built: Awaited<ReturnType<typeof buildAgentConfig>>;
    try {
      built = await buildAgentConfig(this.ctx.prisma, this.serverId);
    } catch (error) {
      // The agent keeps serving under its last good config; dropping the session would not help it.
      this.log.error({ err: error }, "could not build the agent's config");
      return;
    }
    if (this.state !== "session") return;
    if (sendMessage(this.ws, { type: "hub.config.apply", revision: built.revision, config: built.config })) {
      this.knownRevision = built.revision;
      this.log.info({ revision: built.revision }, "config pushed");
    }
  }

  private async touchLastSeen(): Promise<void> {
    const serverId = this.serverId;
    const now = Date.now();
    if (!serverId || now - this.lastSeenWrittenAt < this.ctx.heartbeatIntervalMs) return;
    this.lastSeenWrittenAt = now;
    const at = new Date(now);
    // Also heals a status another hub's start-up sweep may have flipped while this socket was alive.
    const updated = await this.ctx.prisma.server.updateMany({
      where: {
        id: serverId,
        status: { not: ServerStatus.REVOKED },
        credential: { is: { revokedAt: null } },
      },
      data: { lastSeenAt: at, status: ServerStatus.ONLINE },
    });
    this.lastSeenWritten = at;
    if (updated.count === 1) return;
    // Revoked or deleted without a notification reaching this process: the periodic write notices.
    const server = await this.ctx.prisma.server.findUnique({
      where: { id: serverId },
      select: { status: true, credential: { select: { revokedAt: true } } },
    });
    this.isInGoodStanding(server);
  }

  private async configApplied(revision: number): Promise<void> {
    const serverId = this.serverId;
    if (!serverId) return;
    const isRecorded = await this.ctx.prisma.$transaction(async (tx) => {
      // Acks can arrive late or twice: appliedRevision only moves forward, and never past what was asked.
      const updated = await tx.server.updateMany({
        where: {
          id: serverId,
          desiredRevision: { gte: revision },
          OR: [{ appliedRevision: null }, { appliedRevision: { lt: revision } }],
        },
        data: { appliedRevision: revision },
      });
      if (updated.count !== 1) return false;
      await writeAudit(tx, {
        ...this.auditBase(),
        type: AuditEventType.POLICY_APPLIED,
        // Revision numbers are bookkeeping (kept in `after`); the summary is what an admin reads.
        summary: "Server applied the latest configuration",
        after: { appliedRevision: revision },
      });
      return true;
    });
    this.log.info({ revision, isRecorded }, "agent applied config");
  }

  private async configRejected(revision: number, errors: string[]): Promise<void> {
    const serverId = this.serverId;
    if (!serverId) return;
    const reason = (errors.join("; ") || "rejected without a reason").slice(0, 2000);
    await this.ctx.prisma.$transaction(async (tx) => {
      await tx.server.update({
        where: { id: serverId },
        data: { lastRejectedRevision: revision, lastRejectReason: reason },
      });
      await writeAudit(tx, {
        ...this.auditBase(),
        type: AuditEventType.POLICY_REJECTED,
        summary: `Server rejected the latest configuration: ${reason.slice(0, 200)}`,
        after: { revision, errors },
      });
    });
    this.log.warn({ revision, errors }, "agent rejected config");
  }

  private async postureReported(posture: Posture): Promise<void> {
    const serverId = this.serverId;
    if (!serverId) return;
    await this.ctx.prisma.$transaction(async (tx) => {
      const previous = await tx.server.findUnique({ where: { id: serverId }, select: { posture: true } });
      await tx.server.update({ where: { id: serverId }, data: { posture, postureAt: new Date() } });
      // Row 21: a user newly suspended by the internal-spammer rule is an alert for their customer.
      await auditNewSuspensions(tx, previous?.posture, posture, this.auditBase());
    });
  }

  private onHandshakeTimeout(): void {
    if (this.state !== "handshake" || this.ws.readyState !== this.ws.OPEN) return;
    this.refuse(
      CloseCode.handshakeTimeout,
      `no agent.hello within ${this.ctx.handshakeTimeoutMs} ms`,
      AuditEventType.AGENT_PROTOCOL_ERROR,
    );
  }

  private onSocketError(error: Error): void {
    // ws has already chosen the close code (1009 too big, 1007 bad UTF-8, 1002 bad framing) and closes.
    const code = (error as { code?: string }).code;
    this.log.warn({ err: error, wsCode: code }, "agent socket error");
    if (code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
      this.auditRefusal(AuditEventType.AGENT_PROTOCOL_ERROR, "frame too large");
    } else if (code?.startsWith("WS_ERR_")) {
      this.auditRefusal(AuditEventType.AGENT_PROTOCOL_ERROR, error.message);
    }
  }

  private onClose(code: number, reason: string): void {
    clearTimeout(this.handshakeTimer);
    if (this.state === "session") this.endSession(`closed with ${code}${reason ? ` (${reason})` : ""}`);
    else if (this.state !== "authenticating") this.unregister();
    // While authenticating, hello() sees the socket is gone once its database write is done.
    if (this.state !== "authenticating") this.state = "closed";
  }

  private unregister(): void {
    if (this.serverId && this.ctx.sessions.get(this.serverId) === this)
      this.ctx.sessions.delete(this.serverId);
  }

  /** Leaves the session once: out of the registry, then OFFLINE and audited. */
  private endSession(description: string): void {
    if (this.state !== "session" || !this.serverId) return;
    this.state = "closed";
    const isCurrent = this.ctx.sessions.get(this.serverId) === this;
    this.unregister();
    this.enqueue(() => this.markOffline(description, isCurrent));
  }

  private async markOffline(description: string, isCurrent: boolean): Promise<void> {
    const serverId = this.serverId;
    if (this.isOfflineMarked || !serverId) return;
    this.isOfflineMarked = true;
    const lastSeenWritten = this.lastSeenWritten;
    await this.ctx.prisma.$transaction(async (tx) => {
      // Only if nobody wrote lastSeenAt since: a reconnection through another hub process must stay ONLINE.
      if (isCurrent && lastSeenWritten) {
        await tx.server.updateMany({
          where: { id: serverId, status: ServerStatus.ONLINE, lastSeenAt: { lte: lastSeenWritten } },
          data: { status: ServerStatus.OFFLINE },
        });
      }
      await writeAudit(tx, {
        ...this.auditBase(),
        type: AuditEventType.AGENT_DISCONNECTED,
        summary: `Agent disconnected: ${description}`,
      });
    });
    this.log.info({ description }, "agent disconnected");
  }

  private refuseVersion(version: number): void {
    this.refuse(
      CloseCode.protocolVersion,
      `protocol version ${version} not supported (hub speaks ${PROTOCOL_VERSION})`,
      AuditEventType.AGENT_PROTOCOL_ERROR,
    );
  }

  /** Closes with a code the agent acts on and audits why (once per connection). */
  private refuse(
    code: number,
    reason: string,
    type: AuditEntry["type"],
    audit: { detail?: string; serverId?: string; tenantId?: string } = {},
  ): void {
    clearTimeout(this.handshakeTimer);
    // A session stays one until its close event, which marks the server offline.
    if (this.state !== "session") this.state = "closed";
    this.log.info({ code, reason, detail: audit.detail }, "refusing agent");
    this.closeAndCut(code, reason);
    this.auditRefusal(type, audit.detail ?? reason, audit.serverId, audit.tenantId);
  }

  private auditRefusal(type: AuditEntry["type"], reason: string, serverId?: string, tenantId?: string): void {
    if (this.isRefusalAudited) return;
    this.isRefusalAudited = true;
    if (!this.ctx.refusalAudits.allow(this.ip)) {
      this.log.warn({ type, reason }, "refusal not audited: too many from this address");
      return;
    }
    const what =
      type === AuditEventType.AGENT_ENROLL_FAILED
        ? "Agent enrollment refused"
        : type === AuditEventType.AGENT_AUTH_FAILED
          ? "Agent authentication refused"
          : "Agent protocol error";
    const input: AuditEntry = {
      ...this.auditBase(),
      type,
      tenantId: tenantId ?? this.tenantId ?? undefined,
      targetId: serverId ?? this.serverId ?? undefined,
      targetType: (serverId ?? this.serverId) ? "Server" : undefined,
      summary: `${what} from ${this.ip}: ${reason}`,
    };
    const write = writeAudit(this.ctx.prisma, input).catch((error: unknown) =>
      this.log.error({ err: error }, "could not write the refusal audit"),
    );
    this.ctx.track(write);
  }

  private auditBase(): Omit<AuditEntry, "type" | "summary"> {
    return {
      actorType: ActorType.AGENT,
      actorLabel: `agent ${this.hostname || "unknown host"} (${this.ip})`,
      tenantId: this.tenantId ?? undefined,
      targetType: this.serverId ? "Server" : undefined,
      targetId: this.serverId ?? undefined,
      ip: this.ip,
    };
  }

  private closeAndCut(code: number, reason: string): void {
    closeSocket(this.ws, code, reason);
    // ws waits 30 s for the peer's close frame; a peer that is gone or hostile gets one second.
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  private enqueue(task: () => Promise<void>): void {
    const run = this.work.then(task).catch((error: unknown) => this.onInternalError(error));
    this.work = run;
    this.ctx.track(run);
  }

  private onInternalError(error: unknown): void {
    this.log.error({ err: error }, "agent connection failed");
    if (this.state !== "session") {
      this.unregister();
      this.state = "closed";
    }
    this.closeAndCut(CloseCode.internalError, "hub internal error");
  }
}
