// A tiny hub for agent tests: a real ws server on a loopback port speaking the protocol just enough —
// enrollment with one valid token, hello → welcome, and helpers to push configs, drop or close sockets.
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
} from "@mailwarden/protocol";

export const VALID_TOKEN = "valid-enrollment-token-0123456789";
export const AGENT_ID = "agent-test-1";
export const AGENT_SECRET = "agent-secret-0123456789abcdef";

export interface FakeHubOptions {
  heartbeatIntervalMs?: number;
  /** Answer heartbeats with hub.heartbeat.ack (default true). Off simulates a hub gone silent. */
  ackHeartbeats?: boolean;
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
  #server: WebSocketServer;
  #options: Required<FakeHubOptions>;

  private constructor(server: WebSocketServer, options: FakeHubOptions) {
    this.#server = server;
    this.#options = { heartbeatIntervalMs: 100, ackHeartbeats: true, ...options };
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
        default:
          return;
      }
    });
  }
}

function hubFrame(message: HubMessage): string {
  return encodeFrame(message);
}
