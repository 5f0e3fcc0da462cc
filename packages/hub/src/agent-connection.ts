// One agent's socket, from its first frame to its close. Frames are handled one at a time, in order, on
// a promise chain: a hello must finish authenticating before the frames behind it are looked at. Two
// things skip the chain so nothing slow holds them up: heartbeats are answered at once, and config
// pushes come from the hub's fan-out (./fan-out). Mail-log batches pass through the chain (to keep their
// order) but are stored on a queue of their own (./log-ingest), acknowledged once committed. What the
// hub records about the agent (online, last seen, applied revision, offline) goes through the batched
// writer (./server-state-writer); other database work through the hub's limiter (./db-work), which
// retries — a database fault never closes a session. Nothing here may throw into ws: every failure
// ends as a close code the agent can act on and, for refusals, one audit row.
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
  LOG_BATCH_WINDOW,
  PROTOCOL_VERSION,
  agentMessageSchema,
  parseFrame,
  type AgentMessage,
  type Posture,
} from "@mailwarden/protocol";
import { recordCommandResult, sendPendingCommands } from "./agent-commands";
import { checkCredential, type CredentialRow } from "./authentication";
import type { BatchLoader } from "./batch-loader";
import type { DbWork } from "./db-work";
import { redeemEnrollmentToken } from "./enrollment";
import type { ConfigFanOut, ConfigTarget } from "./fan-out";
import { MailLogIngest } from "./log-ingest";
import type { RefusalAuditLimiter } from "./refusal-audit-limiter";
import type { ConnectionIdentity, ServerStateWriter } from "./server-state-writer";
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
  /** Database calls, limited and retried. */
  work: DbWork;
  /** Mail-log batches' own limiter (./log-ingest). */
  logWork: DbWork;
  /** Online, last-seen, applied and offline marks, written in batches. */
  states: ServerStateWriter;
  fanOut: ConfigFanOut;
  /** Hellos' Server rows, loaded a batch at a time. */
  credentials: BatchLoader<string, CredentialRow>;
  /** Whether a server has dashboard commands waiting, asked a batch at a time. */
  pendingCommands: BatchLoader<string, true>;
  /** A new id for each authenticated connection, unique across hub processes. */
  newConnectionId(): string;
  /** Database work still running when the hub closes is awaited, not cut off. */
  track(work: Promise<unknown>): void;
  isClosing(): boolean;
}

type AgentMessageOf<T extends AgentMessage["type"]> = Extract<AgentMessage, { type: T }>;
type State = "handshake" | "enrolling" | "authenticating" | "session" | "closed";

/** How long a socket that was told to close may take to answer before it is cut. */
const CLOSE_GRACE_MS = 1000;

export class AgentConnection implements ConfigTarget {
  private state: State = "handshake";
  private serverId: string | null = null;
  private tenantId: string | null = null;
  private hostname: string | null = null;
  private agentVersion = "";
  private identity: ConnectionIdentity | null = null;
  /** The revision the agent runs or was last sent; a change notification pushes only when this differs. */
  private knownRevision: number | null = null;
  /** The newest revision the agent said it holds that is queued or written as applied. */
  private reportedRevision: number | null = null;
  private lastFrameAt = Date.now();
  /** When a last-seen write was last queued: at least once per heartbeat interval, not on every frame. */
  private lastSeenQueuedAt = 0;
  private isRefusalAudited = false;
  private work: Promise<void> = Promise.resolve();
  /** The session's mail-log batches, stored beside the frame queue (./log-ingest). */
  private logs: MailLogIngest | null = null;
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

  /** The customer whose server this is, once authenticated (config changes are notified per customer). */
  get tenant(): string | null {
    return this.tenantId;
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

  needsConfig(revision: number): boolean {
    return this.state === "session" && this.ws.readyState === this.ws.OPEN && this.knownRevision !== revision;
  }

  sendConfig(revision: number, frame: Buffer): void {
    if (!this.needsConfig(revision)) return;
    this.ws.send(frame, { binary: false });
    this.knownRevision = revision;
  }

  closeUnserved(status: "revoked" | "gone"): void {
    if (status === "gone") {
      this.log.info("server or credential deleted: closing");
      this.closeAndCut(CloseCode.unauthorized, "unknown agent");
    } else {
      this.log.info("agent revoked: closing");
      this.closeAndCut(CloseCode.revoked, "agent revoked");
    }
  }

  /** Called when the dashboard issued a command for this server (or commands may have been missed). */
  onCommandsPending(): void {
    this.enqueue(() => this.sendCommands());
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
    if (this.state === "session") {
      this.noteSeen();
      // Answered at once: an agent must never think the hub silent because database work is queued.
      if (message.type === "agent.heartbeat") {
        sendMessage(this.ws, { type: "hub.heartbeat.ack", receivedAt: new Date().toISOString() });
        if (message.appliedRevision != null) this.agentHolds(message.appliedRevision);
        return;
      }
      if (message.type === "agent.config.applied") return this.agentHolds(message.revision);
    }
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
    // Enrollment finished or closing: late frames are dropped. (Last-seen is noted in onFrame; frames
    // queued behind the hello arrive within the hello's own last-seen write.)
    if (this.state !== "session") return;
    switch (message.type) {
      // Frames queued behind the hello: later ones take the fast path in onFrame.
      case "agent.heartbeat":
        sendMessage(this.ws, { type: "hub.heartbeat.ack", receivedAt: new Date().toISOString() });
        if (message.appliedRevision != null) this.agentHolds(message.appliedRevision);
        return;
      case "agent.config.applied":
        return this.agentHolds(message.revision);
      case "agent.config.rejected":
        return this.configRejected(message.revision, message.errors);
      case "agent.posture":
        return this.postureReported(message.posture);
      case "agent.command.result":
        return this.commandAnswered(message);
      // Always through this queue, so batches reach the log queue in the order they arrived.
      case "agent.logs":
        return this.logsReceived(message);
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
    this.hostname = withoutNul(message.hostname);
    if (message.protocolVersion !== PROTOCOL_VERSION) return this.refuseVersion(message.protocolVersion);
    const result = await this.ctx.work.run("enrollment", () =>
      redeemEnrollmentToken(this.ctx.prisma, {
        token: message.token,
        hostname: this.hostname ?? "",
        agentVersion: withoutNul(message.agentVersion),
        ip: this.ip,
      }),
    );
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
    // Postgres text cannot hold NUL: an agent's odd hostname must not make its writes fail.
    this.hostname = withoutNul(message.hostname);
    this.agentVersion = withoutNul(message.agentVersion);
    if (message.protocolVersion !== PROTOCOL_VERSION) return this.refuseVersion(message.protocolVersion);
    const auth = checkCredential(await this.ctx.credentials.load(message.agentId), message.secret);
    if (!auth.ok) {
      return this.refuse(auth.code, auth.reason, AuditEventType.AGENT_AUTH_FAILED, {
        detail: auth.detail,
        serverId: auth.serverId,
        tenantId: auth.tenantId,
      });
    }
    if (this.ctx.isClosing()) return this.goAway();
    if (this.ws.readyState !== this.ws.OPEN) {
      this.state = "closed"; // left while its credential was checked: nothing was recorded yet
      return;
    }
    const { server } = auth;
    this.serverId = server.id;
    this.tenantId = server.tenantId;
    this.log = this.log.child({ agentId: server.id });
    this.identity = {
      serverId: server.id,
      tenantId: server.tenantId,
      connectionId: this.ctx.newConnectionId(),
      ip: this.ip,
      actorLabel: this.auditBase().actorLabel,
      isLive: () => this.state === "session",
    };
    // Registered before anything is pushed: a change notified from now on finds this connection.
    const previous = this.ctx.sessions.get(server.id);
    this.ctx.sessions.set(server.id, this);
    if (previous && previous !== this) previous.replace();
    this.knownRevision = message.appliedRevision;
    this.reportedRevision = message.appliedRevision;
    this.logs = new MailLogIngest({
      prisma: this.ctx.prisma,
      work: this.ctx.logWork,
      logger: this.log,
      serverId: server.id,
      tenantId: server.tenantId,
      isLive: () => this.state === "session" && this.ws.readyState === this.ws.OPEN,
      acknowledge: (batch, stored) => sendMessage(this.ws, { type: "hub.logs.ack", batch, stored }),
      track: (work) => this.ctx.track(work),
    });
    this.lastSeenQueuedAt = Date.now();
    this.state = "session";
    // The hello is recorded (batched with other agents' writes) before the welcome, with the revision the
    // agent already holds: an ack lost with the previous connection is made good here.
    const recorded = await this.ctx.states.markOnline({
      identity: this.identity,
      hostname: this.hostname,
      agentVersion: this.agentVersion,
      heldRevision: message.appliedRevision,
    });
    if (this.state !== "session") return; // closed or replaced meanwhile: its offline mark is queued
    if (recorded === "refused") {
      this.unregister();
      this.state = "closed";
      return this.refuse(CloseCode.revoked, "agent revoked", AuditEventType.AGENT_AUTH_FAILED, {
        serverId: server.id,
        tenantId: server.tenantId,
      });
    }

    this.log.info("agent connected");
    sendMessage(this.ws, {
      type: "hub.welcome",
      agentId: server.id,
      heartbeatIntervalMs: this.ctx.heartbeatIntervalMs,
    });
    if (server.desiredRevision !== message.appliedRevision) this.ctx.fanOut.request([server.id]);
    // Asked after registering: a command issued from now on is announced to this connection anyway.
    if (await this.ctx.pendingCommands.load(server.id)) await this.sendCommands();
  }

  private async commandAnswered(message: AgentMessageOf<"agent.command.result">): Promise<void> {
    if (!this.serverId) return;
    const serverId = this.serverId;
    await this.ctx.work.run("command result", () =>
      recordCommandResult(this.ctx.prisma, serverId, message, this.log),
    );
  }

  /** Hands this server's PENDING dashboard commands to the agent. */
  private async sendCommands(): Promise<void> {
    const serverId = this.serverId;
    if (this.state !== "session" || !serverId) return;
    await this.ctx.work.run("pending commands", () =>
      sendPendingCommands(
        this.ctx.prisma,
        serverId,
        (commandId, command) =>
          this.state === "session" && sendMessage(this.ws, { type: "hub.command", commandId, command }),
        { timeoutMs: this.ctx.commandTimeoutMs, logger: this.log },
      ),
    );
  }

  /** Queues a last-seen write at most twice per heartbeat interval, so the row is never older than one. */
  private noteSeen(): void {
    const identity = this.identity;
    const now = Date.now();
    if (!identity || now - this.lastSeenQueuedAt < this.ctx.heartbeatIntervalMs / 2) return;
    this.lastSeenQueuedAt = now;
    this.ctx.track(
      this.ctx.states.markSeen(identity).then((result) => {
        if (result === "lost" && this.state === "session") this.enqueue(() => this.checkStanding());
      }),
    );
  }

  /** The row no longer names this connection: find out why and act on it. */
  private async checkStanding(): Promise<void> {
    const serverId = this.serverId;
    const identity = this.identity;
    if (this.state !== "session" || !serverId || !identity) return;
    const server = await this.ctx.work.run("server standing", () =>
      this.ctx.prisma.server.findUnique({
        where: { id: serverId },
        select: { status: true, connectionId: true, credential: { select: { revokedAt: true } } },
      }),
    );
    if (!server || !server.credential) return this.closeUnserved("gone");
    if (server.status === ServerStatus.REVOKED || server.credential.revokedAt)
      return this.closeUnserved("revoked");
    if (server.connectionId && server.connectionId !== identity.connectionId) return this.replace();
    // Marked offline by a sweep while this connection was alive (its writes were failing): claim it again.
    await this.ctx.states.markOnline({
      identity,
      hostname: this.hostname ?? "",
      agentVersion: this.agentVersion,
      heldRevision: this.reportedRevision,
    });
  }

  /** The agent holds `revision` (an ack, or a heartbeat saying so): recorded once, batched, retried. */
  private agentHolds(revision: number): void {
    const identity = this.identity;
    if (!identity || (this.reportedRevision !== null && this.reportedRevision >= revision)) return;
    this.reportedRevision = revision;
    this.ctx.track(this.ctx.states.markApplied(identity, revision));
    this.log.info({ revision }, "agent applied config");
  }

  private async configRejected(revision: number, errors: string[]): Promise<void> {
    const serverId = this.serverId;
    if (!serverId) return;
    const reason = (errors.join("; ") || "rejected without a reason").slice(0, 2000);
    await this.ctx.work.run("config rejected", () =>
      this.ctx.prisma.$transaction(async (tx) => {
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
      }),
    );
    this.log.warn({ revision, errors }, "agent rejected config");
  }

  /** Hands a batch to the log queue without waiting for it to be stored: the frame queue moves on. */
  private logsReceived(message: AgentMessageOf<"agent.logs">): void {
    if (this.logs?.accept(message) === false) {
      this.refuse(
        CloseCode.badFrame,
        `more than ${LOG_BATCH_WINDOW} log batches sent without waiting for an ack`,
        AuditEventType.AGENT_PROTOCOL_ERROR,
      );
    }
  }

  private postureReported(posture: Posture): void {
    if (this.identity) this.ctx.track(this.ctx.states.markPosture(this.identity, posture));
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
    this.logs?.stop();
    if (this.state === "session") this.endSession(`closed with ${code}${reason ? ` (${reason})` : ""}`);
    else if (this.state !== "authenticating") this.unregister();
    // While authenticating, hello() sees the socket is gone once its database write is done.
    if (this.state !== "authenticating") this.state = "closed";
  }

  private unregister(): void {
    if (this.serverId && this.ctx.sessions.get(this.serverId) === this)
      this.ctx.sessions.delete(this.serverId);
  }

  /** Leaves the session once: out of the registry, then OFFLINE (if no newer connection took over) and audited. */
  private endSession(description: string): void {
    if (this.state !== "session" || !this.serverId || !this.identity) return;
    this.state = "closed";
    this.logs?.stop();
    this.unregister();
    this.ctx.track(this.ctx.states.markOffline(this.identity, description));
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
    // A session stays open: the agent serves mail either way, and what failed is retried (acks and
    // last-seen by the writer, pushes on the next change or reconnect). A handshake is cut: the agent
    // comes back with backoff.
    if (this.state === "session") return;
    this.unregister();
    this.state = "closed";
    this.closeAndCut(CloseCode.internalError, "hub internal error");
  }
}

function withoutNul(text: string): string {
  return text.replaceAll("\u0000", "");
}
