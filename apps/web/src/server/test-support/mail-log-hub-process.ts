// A real hub in a process of its own, listening on a port the caller chooses, for
// mail-log-end-to-end.test.ts: that test SIGKILLs the hub while it stores an agent's mail-log batches and
// starts it again on the same port, where the agent's reconnect loop finds it through the hubUrl of its
// credential. The hub package's own log-ingest-hub-process.ts always takes a port the kernel picks, which
// an agent started from a credential file would never find again. Usage:
//   node --import tsx mail-log-hub-process.ts <database url> <port>
// Prints one JSON line {"url": "ws://…"} once it listens; SIGTERM stops it cleanly (agents get 1001).
import http from "node:http";
import { pino } from "pino";
import { createPrismaClient } from "@mailwarden/db";
import { createHub } from "@mailwarden/hub";
import { AGENT_PATH } from "@mailwarden/protocol";

const [databaseUrl, portText] = process.argv.slice(2);
const port = Number(portText);
if (!databaseUrl || !Number.isInteger(port) || port <= 0)
  throw new Error("usage: mail-log-hub-process.ts <database url> <port>");

const prisma = createPrismaClient(databaseUrl);
// Warnings and errors go to stderr, where the test keeps them for its failure messages.
const logger = pino({ level: "warn" }, pino.destination(2));
const hub = createHub({ prisma, databaseUrl, logger, heartbeatIntervalMs: 1000 });
const server = http.createServer((_req, res) => {
  res.statusCode = 404;
  res.end();
});
server.on("upgrade", (req, socket, head) => {
  if (hub.isAgentPath(req.url)) hub.handleUpgrade(req, socket, head);
  else socket.destroy();
});
await new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
await hub.ready;
process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${port}${AGENT_PATH}` })}\n`);

process.once("SIGTERM", () => {
  void hub
    .close()
    .then(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    })
    .then(() => prisma.$disconnect())
    .finally(() => process.exit(0));
});
