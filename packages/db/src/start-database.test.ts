// The embedded default must keep a user's data across restarts, including after the server was killed
// hard (the stale postmaster.pid case), and must never use fixed credentials.
import { chmodSync, mkdtempSync, rmSync, statSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "./client";
import { pickFreePort } from "./embedded";
import { env } from "./env";
import { startDatabase, type StartedDatabase } from "./start-database";

async function countTenants(url: string, slug: string): Promise<number> {
  const prisma = createPrismaClient(url);
  try {
    return await prisma.tenant.count({ where: { slug } });
  } finally {
    await prisma.$disconnect();
  }
}

describe.skipIf(Boolean(env.DATABASE_URL))("startDatabase with embedded PostgreSQL", () => {
  // Created in beforeAll, not at collection time, so a skipped run leaves nothing behind.
  let root = "";
  let dataDir = "";
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "mailwarden-start-"));
    chmodSync(root, 0o711); // mkdtemp makes it 0700, which the postgres user could not enter
    dataDir = path.join(root, "nested", "postgres");
  });
  const running: StartedDatabase[] = [];
  const start = async (port: number) => {
    const db = await startDatabase({ dataDir, port });
    running.push(db);
    return db;
  };

  afterAll(async () => {
    for (const db of running) await db.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("keeps data across a restart and a hard kill, with a generated password", async () => {
    const port = await pickFreePort();
    const first = await start(port);
    expect(first.embedded).toBe(true);
    expect(first.url).toContain(`:${port}/mailwarden`);

    const passwordFile = path.join(root, "nested", "postgres-password");
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, "utf8").trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(decodeURIComponent(new URL(first.url).password)).toBe(password);
    expect(statSync(path.join(root, "nested")).mode & 0o777).toBe(0o711);

    const prisma = createPrismaClient(first.url);
    await prisma.tenant.create({ data: { name: "Kept", slug: "kept" } });
    await prisma.$disconnect();
    await first.stop();

    const second = await start(port);
    expect(second.url).toBe(first.url);
    expect(await countTenants(second.url, "kept")).toBe(1);

    // Kill the postmaster the way an OOM killer or `kill -9` would: postmaster.pid stays behind.
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(true);
    await second.stop();

    const third = await start(port);
    expect(await countTenants(third.url, "kept")).toBe(1);
    await third.stop();
  });
});
