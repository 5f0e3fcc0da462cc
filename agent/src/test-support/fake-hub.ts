// A tiny hub for agent tests: a real ws server on a loopback port speaking the protocol just enough —
// enrollment with one valid token, hello → welcome, and helpers to push configs, drop or close sockets.
// Mail log batches are stored by sequence number and acknowledged at once, or held back until a test
// acknowledges them (logAcks = false), like a hub whose database is slow or gone.
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import {
  agentMessageSchema,
  AGENT_PATH,
  CloseCode,
  encodeFrame,
  parseFrame,
  type AgentMessage,
  type HubMessage,
  type MailLogRecord,
} from "@mailwarden/protocol";

export const VALID_TOKEN = "valid-enrollment-token-0123456789";
export const AGENT_ID = "agent-test-1";
export const AGENT_SECRET = "agent-secret-0123456789abcdef";

export interface FakeHubOptions {
  heartbeatIntervalMs?: number;
  /** Answer heartbeats with hub.heartbeat.ack (default true). Off simulates a hub gone silent. */
  ackHeartbeats?: boolean;
  /** Store and acknowledge agent.logs batches at once (default true); off: they wait for ackLogBatches(). */
  logAcks?: boolean;
}

/** An agent.logs batch received and not acknowledged yet. */
export interface HeldLogBatch {
  socket: WebSocket;
  batch: number;
  records: MailLogRecord[];
}

/** A hub admitting a reconnect storm: the next `count` upgrades get 503 with this Retry-After. */
export interface UpgradeRefusal {
  count: number;
  retryAfter: string;
}

export class FakeHub {
  readonly received: AgentMessage[] = [];
  readonly connections: WebSocket[] = [];
  /** When each upgrade was refused or accepted (ms since epoch), in order. */
  readonly upgrades: { at: number; refused: boolean }[] = [];
  refusal: UpgradeRefusal = { count: 0, retryAfter: "1" };
  /** Mail log records stored, by sequence number (each once, as the real hub's idempotent ingest). */
  readonly storedLogs = new Map<number, MailLogRecord>();
  /** Sequence numbers that arrived again after their batch had been acknowledged: never expected. */
  readonly logsResentAfterAck: number[] = [];
  /** Batches waiting for ackLogBatches() while logAcks is off. */
  readonly heldLogBatches: HeldLogBatch[] = [];
  #server: WebSocketServer;
  #options: Required<FakeHubOptions>;

  private constructor(server: WebSocketServer, options: FakeHubOptions) {
    this.#server = server;
    this.#options = { heartbeatIntervalMs: 100, ackHeartbeats: true, logAcks: true, ...options };
    server.on("connection", (socket) => this.#onConnection(socket));
  }

  static async start(options: FakeHubOptions = {}, port = 0): Promise<FakeHub> {
    // verifyClient runs only once the hub exists (upgrades arrive after listening).
    const holder: { hub?: FakeHub } = {};
    const server = new WebSocketServer({
      host: "127.0.0.1",
      port,
      path: AGENT_PATH,
      verifyClient: (_info, done) => {
        const hub = holder.hub;
        const refused = Boolean(hub && hub.refusal.count > 0);
        hub?.upgrades.push({ at: Date.now(), refused });
        if (!hub || !refused) return done(true);
        hub.refusal.count--;
        done(false, 503, "Service Unavailable", { "Retry-After": hub.refusal.retryAfter });
      },
    });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    holder.hub = new FakeHub(server, options);
    return holder.hub;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}${AGENT_PATH}`;
  }

  set ackHeartbeats(value: boolean) {
    this.#options.ackHeartbeats = value;
  }

  set logAcks(value: boolean) {
    this.#options.logAcks = value;
  }

  /** Every mail log record received, in arrival order (resent ones again). */
  logRecordsReceived(): MailLogRecord[] {
    return this.messages("agent.logs").flatMap((message) => message.records);
  }

  /**
   * Stores and acknowledges up to `count` held batches, oldest first; a batch whose socket has closed is
   * forgotten unstored (the agent sends it again). Returns how many were acknowledged.
   */
  ackLogBatches(count = Infinity): number {
    let acked = 0;
    while (acked < count && this.heldLogBatches.length > 0) {
      const held = this.heldLogBatches.shift()!;
      if (held.socket.readyState !== held.socket.OPEN) continue;
      this.#storeAndAck(held);
      acked += 1;
    }
    return acked;
  }

  /** The most recent socket that completed hello. */
  get current(): WebSocket | undefined {
    return this.connections.at(-1);
  }

  messages<T extends AgentMessage["type"]>(type: T): Extract<AgentMessage, { type: T }>[] {
    return this.received.filter(
      (message): message is Extract<AgentMessage, { type: T }> => message.type === type,
    );
  }

  send(message: HubMessage | Record<string, unknown>, socket = this.current): void {
    socket?.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onConnection(socket: WebSocket): void {
    socket.on("message", (data) => {
      const parsed = parseFrame(agentMessageSchema, data);
      if (!parsed.ok) return socket.close(CloseCode.badFrame, parsed.reason);
      const message = parsed.message;
      this.received.push(message);
      switch (message.type) {
        case "agent.enroll":
          if (message.token !== VALID_TOKEN) return socket.close(CloseCode.tokenInvalid, "token invalid");
          socket.send(hubFrame({ type: "hub.enrolled", agentId: AGENT_ID, secret: AGENT_SECRET }));
          return socket.close(1000);
        case "agent.hello":
          if (message.agentId !== AGENT_ID || message.secret !== AGENT_SECRET) {
            return socket.close(CloseCode.unauthorized, "unknown agent");
          }
          this.connections.push(socket);
          socket.send(
            hubFrame({
              type: "hub.welcome",
              agentId: AGENT_ID,
              heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
            }),
          );
          return;
        case "agent.heartbeat":
          if (this.#options.ackHeartbeats) {
            socket.send(hubFrame({ type: "hub.heartbeat.ack", receivedAt: new Date().toISOString() }));
          }
          return;
        case "agent.logs": {
          const held = { socket, batch: message.batch, records: message.records };
          if (this.#options.logAcks) this.#storeAndAck(held);
          else this.heldLogBatches.push(held);
          return;
        }
        default:
          return;
      }
    });
  }

  #storeAndAck(held: HeldLogBatch): void {
    for (const record of held.records) {
      if (this.storedLogs.has(record.seq)) this.logsResentAfterAck.push(record.seq);
      this.storedLogs.set(record.seq, record);
    }
    held.socket.send(hubFrame({ type: "hub.logs.ack", batch: held.batch, stored: held.records.length }));
  }
}

function hubFrame(message: HubMessage): string {
  return encodeFrame(message);
}
