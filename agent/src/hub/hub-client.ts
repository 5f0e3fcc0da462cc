// The agent's link to the hub (PROTOCOL.md "Session"). One async loop owns the connection: connect,
// hello, serve the session until the socket closes, then ask closeAction() what to do — wait (capped
// backoff with jitter) and go round again, or stop for good. Stopping never stops the mail server: the
// agent keeps enforcing its last good config while nobody is listening.
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import type { Logger } from "pino";
import { z } from "zod";
import {
  closeAction,
  CloseCode,
  encodeFrame,
  hubCommandEnvelopeSchema,
  hubCommandTypes,
  hubMessageSchema,
  MAX_FRAME_BYTES,
  parseFrame,
  PROTOCOL_VERSION,
  type AgentMessage,
  type HubCommand,
  type HubMessage,
  type Posture,
} from "@mailwarden/protocol";
import type { LogShipperLink } from "../mail-log/shipper";
import type { Credential } from "../state/credential";
import { backoffDelay, parseRetryAfter, retryAfterDelay, type BackoffOptions } from "./backoff";
import type { CommandOutcome } from "./queue-commands";

export type ApplyResult = { ok: true; revision: number } | { ok: false; revision: number; errors: string[] };

export type HubClientState =
  "connecting" | "connected" | "waiting" | "stopped" | "gave-up" | "needs-enrollment";

export interface HubClientOptions {
  credential: Credential;
  hostname: string;
  agentVersion: string;
  logger: Logger;
  reconnect: BackoffOptions;
  /** Send a posture snapshot every N heartbeats. */
  postureEvery: number;
  /** Longest wait for the socket to open and the hub to answer hello. */
  handshakeTimeoutMs?: number;
  getAppliedRevision(): number | null;
  applyConfig(revision: number, config: unknown): Promise<ApplyResult>;
  getPosture(): Promise<Posture>;
  /** Runs a dashboard command (hub.command); without it every command is answered ok: false. */
  runCommand?(command: HubCommand): Promise<CommandOutcome>;
  /** Ships the mail log (agent.logs / hub.logs.ack) on every connection, after the welcome. */
  mailLog?: LogShipperLink;
}

interface SessionEnd {
  code: number;
  reason: string;
  wasWelcomed: boolean;
  /** The hub refused the upgrade (503 during a reconnect storm) and said when to come back, in seconds. */
  retryAfterSeconds?: number;
}

// hub.config.apply with a config that fails agentConfigSchema does not parse as a HubMessage at all.
// Reading just its envelope lets the agent answer agent.config.rejected with the revision and the
// reasons instead of silently dropping the push.
const configApplyEnvelope = z.object({
  type: z.literal("hub.config.apply"),
  revision: z.number().int(),
  config: z.unknown(),
});

export class HubClient {
  readonly #options: HubClientOptions;
  readonly #logger: Logger;
  readonly #stopController = new AbortController();
  #state: HubClientState = "stopped";
  #socket: WebSocket | null = null;
  #loop: Promise<HubClientState> | null = null;
  /** Config pushes are applied one at a time, in arrival order. */
  #applyChain: Promise<void> = Promise.resolve();
  /** Dashboard commands run one at a time, in arrival order (a delete is never overtaken by a listing). */
  #commandChain: Promise<void> = Promise.resolve();
  #connections = 0;

  constructor(options: HubClientOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  get state(): HubClientState {
    return this.#state;
  }

  /** How many times a socket was opened (for tests and diagnostics). */
  get connectionAttempts(): number {
    return this.#connections;
  }

  /** Sends a posture snapshot now, when connected (something the dashboard shows changed: row 21's blocks). */
  sendPostureNow(): void {
    if (this.#socket && this.#state === "connected") void this.#sendPosture(this.#socket);
  }

  /** Starts the loop; the promise resolves with the final state once the loop ends. */
  start(): Promise<HubClientState> {
    this.#loop ??= this.#run();
    return this.#loop;
  }

  async stop(): Promise<void> {
    this.#stopController.abort();
    const socket = this.#socket;
    if (socket && socket.readyState === WebSocket.OPEN) socket.close(1000, "agent shutting down");
    else socket?.terminate();
    // A hub that never answers the close handshake must not hold up shutdown.
    const forceClose = setTimeout(() => socket?.terminate(), 2000);
    try {
      await this.#loop;
      await this.#applyChain;
      await this.#commandChain;
    } finally {
      clearTimeout(forceClose);
    }
  }

  async #run(): Promise<HubClientState> {
    const signal = this.#stopController.signal;
    let failures = 0;
    while (!signal.aborted) {
      this.#state = "connecting";
      const end = await this.#session();
      if (signal.aborted) break;
      const action = closeAction(end.code);
      if (action === "re-enroll") {
        this.#logger.error(
          { code: end.code, reason: end.reason },
          "the hub no longer accepts this agent's credential; enroll again with `mailwarden-agent enroll --url <hub> --token <new token>` and restart. Not reconnecting; still serving mail under the last applied config",
        );
        this.#state = "needs-enrollment";
        return this.#state;
      }
      if (action === "give-up") {
        this.#logger.error(
          { code: end.code, reason: end.reason },
          `${giveUpReason(end.code)}. Not reconnecting; still serving mail under the last applied config`,
        );
        this.#state = "gave-up";
        return this.#state;
      }
      failures = end.wasWelcomed ? 0 : failures + 1;
      const backoffMs = backoffDelay(failures, this.#options.reconnect);
      const delayMs =
        end.retryAfterSeconds === undefined ? backoffMs : retryAfterDelay(end.retryAfterSeconds, backoffMs);
      this.#state = "waiting";
      this.#logger.warn(
        { code: end.code, reason: end.reason, delayMs },
        "hub connection closed; reconnecting",
      );
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        break; // stop() during the wait
      }
    }
    this.#state = "stopped";
    return this.#state;
  }

  /** One connection, from open to close. Resolves (never rejects) with how it ended. */
  #session(): Promise<SessionEnd> {
    const { credential } = this.#options;
    const handshakeTimeoutMs = this.#options.handshakeTimeoutMs ?? 15_000;
    this.#connections += 1;
    const ws = new WebSocket(credential.hubUrl, {
      handshakeTimeout: handshakeTimeoutMs,
      maxPayload: MAX_FRAME_BYTES,
    });
    this.#socket = ws;
    return new Promise<SessionEnd>((resolve) => {
      let wasWelcomed = false;
      let retryAfterSeconds: number | undefined;
      let lastFrameAt = Date.now();
      let heartbeatCount = 0;
      let heartbeatTimer: NodeJS.Timeout | undefined;
      let watchdogTimer: NodeJS.Timeout | undefined;
      const welcomeTimer = setTimeout(() => {
        this.#logger.warn({ timeoutMs: handshakeTimeoutMs }, "no welcome from the hub in time");
        ws.terminate();
      }, handshakeTimeoutMs);

      const onWelcome = (message: Extract<HubMessage, { type: "hub.welcome" }>) => {
        if (wasWelcomed) {
          this.#logger.warn("ignored a second hub.welcome on the same connection");
          return;
        }
        wasWelcomed = true;
        clearTimeout(welcomeTimer);
        this.#state = "connected";
        // A hub bug announcing 0-ish intervals must not turn the agent into a busy loop.
        const interval = Math.max(10, message.heartbeatIntervalMs);
        this.#logger.info({ agentId: message.agentId, heartbeatIntervalMs: interval }, "connected to hub");
        heartbeatTimer = setInterval(() => {
          heartbeatCount += 1;
          this.#send(ws, {
            type: "agent.heartbeat",
            sentAt: new Date().toISOString(),
            appliedRevision: this.#options.getAppliedRevision(),
          });
          if (heartbeatCount % this.#options.postureEvery === 0) void this.#sendPosture(ws);
        }, interval);
        // Two intervals without any frame from the hub: the link is dead even if TCP has not noticed.
        watchdogTimer = setInterval(
          () => {
            if (Date.now() - lastFrameAt <= 2 * interval) return;
            this.#logger.warn(
              { silentForMs: Date.now() - lastFrameAt },
              "hub missed two heartbeats; reconnecting",
            );
            ws.terminate();
          },
          Math.max(10, Math.floor(interval / 4)),
        );
        void this.#sendPosture(ws);
        this.#options.mailLog?.connected((frame) => this.#sendText(ws, frame));
      };

      ws.on("open", () => {
        lastFrameAt = Date.now();
        this.#send(ws, {
          type: "agent.hello",
          protocolVersion: PROTOCOL_VERSION,
          agentId: credential.agentId,
          secret: credential.secret,
          hostname: this.#options.hostname,
          agentVersion: this.#options.agentVersion,
          appliedRevision: this.#options.getAppliedRevision(),
        });
      });
      ws.on("message", (data, isBinary) => {
        lastFrameAt = Date.now();
        const frame = isBinary ? null : data;
        const parsed = parseFrame(hubMessageSchema, frame);
        if (!parsed.ok) {
          const envelope = parseFrame(configApplyEnvelope, frame);
          if (envelope.ok) return this.#enqueueApply(ws, envelope.message.revision, envelope.message.config);
          // A command this agent cannot parse still gets an answer, so the dashboard is not left waiting.
          const command = parseFrame(hubCommandEnvelopeSchema, frame);
          if (command.ok) {
            return this.#answerCommand(ws, command.message.commandId, {
              ok: false,
              error: invalidCommandReason(command.message.command, parsed.reason),
            });
          }
          this.#logger.warn({ reason: parsed.reason }, "ignored a bad frame from the hub");
          return;
        }
        const message = parsed.message;
        switch (message.type) {
          case "hub.welcome":
            return onWelcome(message);
          case "hub.heartbeat.ack":
            return;
          case "hub.config.apply":
            return this.#enqueueApply(ws, message.revision, message.config);
          case "hub.error":
            this.#logger.warn({ code: message.code, hubMessage: message.message }, "hub reported an error");
            return;
          case "hub.command":
            return this.#enqueueCommand(ws, message.commandId, message.command);
          case "hub.enrolled":
            this.#logger.warn("ignored hub.enrolled outside enrollment");
            return;
          case "hub.logs.ack":
            if (wasWelcomed) this.#options.mailLog?.acknowledged(message);
            return;
        }
      });
      // A hub admitting a reconnect storm at its own pace answers 503 with the second to come back in.
      ws.on("unexpected-response", (_req, res) => {
        retryAfterSeconds = parseRetryAfter(res.headers["retry-after"]) ?? undefined;
        this.#logger.warn(
          { status: res.statusCode, retryAfterSeconds },
          "the hub refused the connection for now",
        );
        res.resume();
        ws.terminate();
      });
      ws.on("error", (error) => {
        this.#logger.warn({ err: error.message }, "hub connection error");
      });
      ws.on("close", (code, reason) => {
        clearTimeout(welcomeTimer);
        clearInterval(heartbeatTimer);
        clearInterval(watchdogTimer);
        if (this.#socket === ws) this.#socket = null;
        if (wasWelcomed) this.#options.mailLog?.disconnected();
        resolve({ code, reason: reason.toString(), wasWelcomed, retryAfterSeconds });
      });
    });
  }

  #enqueueApply(ws: WebSocket, revision: number, config: unknown): void {
    this.#applyChain = this.#applyChain.then(async () => {
      let result: ApplyResult;
      try {
        result = await this.#options.applyConfig(revision, config);
      } catch (error) {
        result = { ok: false, revision, errors: [`apply failed: ${(error as Error).message}`] };
      }
      if (result.ok) {
        this.#send(ws, { type: "agent.config.applied", revision });
        await this.#sendPosture(ws);
      } else {
        this.#send(ws, { type: "agent.config.rejected", revision, errors: result.errors.slice(0, 50) });
      }
    });
  }

  #enqueueCommand(ws: WebSocket, commandId: string, command: HubCommand): void {
    this.#commandChain = this.#commandChain.then(async () => {
      let outcome: CommandOutcome;
      if (!this.#options.runCommand) {
        outcome = { ok: false, error: "this agent does not run commands" };
      } else {
        try {
          outcome = await this.#options.runCommand(command);
        } catch (error) {
          outcome = { ok: false, error: `${command.type} failed: ${(error as Error).message}` };
        }
      }
      this.#logger.info(
        { commandId, type: command.type, ok: outcome.ok },
        "ran a command from the dashboard",
      );
      this.#answerCommand(ws, commandId, outcome);
    });
  }

  #answerCommand(ws: WebSocket, commandId: string, outcome: CommandOutcome): void {
    const message: AgentMessage = outcome.ok
      ? { type: "agent.command.result", commandId, ok: true, result: outcome.result }
      : { type: "agent.command.result", commandId, ok: false, error: outcome.error.slice(0, 2000) };
    if (Buffer.byteLength(encodeFrame(message)) > MAX_FRAME_BYTES) {
      this.#send(ws, {
        type: "agent.command.result",
        commandId,
        ok: false,
        error: "the result is too large to send",
      });
      return;
    }
    this.#send(ws, message);
  }

  async #sendPosture(ws: WebSocket): Promise<void> {
    try {
      this.#send(ws, { type: "agent.posture", posture: await this.#options.getPosture() });
    } catch (error) {
      this.#logger.error({ err: error }, "could not build the posture snapshot");
    }
  }

  #send(ws: WebSocket, message: AgentMessage): void {
    if (ws.readyState !== WebSocket.OPEN) {
      this.#logger.debug({ type: message.type }, "hub socket not open; message dropped");
      return;
    }
    ws.send(encodeFrame(message));
  }

  /** A frame already encoded (the mail log's batches); false once the socket is not open. */
  #sendText(ws: WebSocket, frame: Buffer): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(frame, { binary: false });
    return true;
  }
}

function invalidCommandReason(command: unknown, reason: string): string {
  const type = (command as { type?: unknown } | null)?.type;
  if (typeof type === "string" && !(hubCommandTypes as string[]).includes(type)) {
    return `unknown command ${JSON.stringify(type.slice(0, 64))}`;
  }
  return `invalid command: ${reason}`.slice(0, 2000);
}

function giveUpReason(code: number): string {
  switch (code) {
    case CloseCode.protocolVersion:
      return `the hub does not speak protocol version ${PROTOCOL_VERSION}; upgrade the agent`;
    case CloseCode.revoked:
      return "this agent was revoked in the dashboard";
    case CloseCode.tokenInvalid:
      return "the hub refused the enrollment token";
    default:
      return `the hub closed the connection with code ${code}`;
  }
}
