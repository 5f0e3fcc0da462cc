// A hub in a process of its own, for log-ingest.test.ts to SIGKILL in the middle of storing mail-log
// batches (a crash cannot be faked inside the test's own process). Usage:
//   node --import tsx log-ingest-hub-process.ts <database url>
// Prints one JSON line {"url": "ws://…"} once it listens; SIGTERM stops it cleanly.
import { createPrismaClient } from "@mailwarden/db";
import { startHub } from "./test-support";

const databaseUrl = process.argv[2];
if (!databaseUrl) throw new Error("usage: log-ingest-hub-process.ts <database url>");
const prisma = createPrismaClient(databaseUrl);
const running = await startHub({ prisma, databaseUrl, heartbeatIntervalMs: 1000 });
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
process.once("SIGTERM", () => {
  void running
    .stop()
    .then(() => prisma.$disconnect())
    .finally(() => process.exit(0));
});
