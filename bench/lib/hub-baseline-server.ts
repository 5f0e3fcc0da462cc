// The hub benchmark's yardstick: a bare `ws` server doing the least the protocol allows — a welcome for
// every hello, an ack for every heartbeat, nothing stored, no database — so the console's figures can be
// read as multiples of what this machine does with the same agents, sockets and frames. Started with
// --expose-gc by the benchmark and driven over IPC (see ./hub-agent-pool.ts AgentWorker).
import { WebSocketServer, type WebSocket } from "ws";
import { MAX_FRAME_BYTES } from "@mailwarden/protocol";
import { monoMs } from "./hub-measure";

const port = Number(process.env.BASELINE_PORT);
const heartbeatIntervalMs = Number(process.env.BASELINE_HEARTBEAT_MS ?? 15_000);
const clients = new Set<WebSocket>();

const server = new WebSocketServer({
  host: "127.0.0.1",
  port,
  path: "/agent",
  perMessageDeflate: false,
  maxPayload: MAX_FRAME_BYTES,
});
server.on("connection", (ws) => {
  ws.on("message", (data: Buffer) => {
    const head = data.toString("latin1", 0, 40);
    if (head.startsWith('{"type":"agent.heartbeat"')) {
      ws.send(JSON.stringify({ type: "hub.heartbeat.ack", receivedAt: new Date().toISOString() }));
    } else if (head.startsWith('{"type":"agent.hello"')) {
      const hello = JSON.parse(data.toString("utf8")) as { agentId: string };
      clients.add(ws);
      ws.send(JSON.stringify({ type: "hub.welcome", agentId: hello.agentId, heartbeatIntervalMs }));
    }
  });
  ws.on("close", () => clients.delete(ws));
  ws.on("error", () => {});
});

type Request = { id: number; type: string; frame?: string };

process.on("message", (request: Request) => {
  const answer = (result: unknown) => process.send?.({ id: request.id, result });
  switch (request.type) {
    case "ready":
      return server.address() ? answer(true) : server.once("listening", () => answer(true));
    case "gc": {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      return answer(process.memoryUsage().heapUsed);
    }
    case "broadcast": {
      // The same frame to every welcomed client, as one fan-out; the start is on the shared clock.
      const startedAt = monoMs();
      for (const ws of clients) ws.send(request.frame!);
      return answer({ startedAt, sentMs: monoMs() - startedAt, clients: clients.size });
    }
    default:
      return process.send?.({ id: request.id, error: `unknown request ${request.type}` });
  }
});
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => {
  for (const ws of clients) ws.terminate();
  server.close(() => process.exit(0));
});
