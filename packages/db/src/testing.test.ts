// Every package's integration tests rely on this: separate databases per call, fully migrated, and
// nothing left running once the last one is stopped.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { env } from "./env";
import { createTestDatabase } from "./testing";

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("createTestDatabase", () => {
  it("gives each caller its own migrated database and cleans up after the last", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a.url).not.toBe(b.url);
    await a.prisma.tenant.create({ data: { name: "Only in A", slug: "a" } });
    expect(await a.prisma.tenant.count()).toBe(1);
    expect(await b.prisma.tenant.count()).toBe(0);

    const port = Number(new URL(a.url).port);
    const dbName = new URL(b.url).pathname.slice(1);
    await a.stop();
    await a.stop(); // idempotent
    const rows = await b.prisma.$queryRaw<{ datname: string }[]>`SELECT datname FROM pg_database`;
    expect(rows.map((r) => r.datname)).toContain(dbName);
    expect(rows.map((r) => r.datname)).not.toContain(new URL(a.url).pathname.slice(1));
    await b.stop();
    if (!env.DATABASE_URL) expect(await canConnect(port)).toBe(false);
  });
});
