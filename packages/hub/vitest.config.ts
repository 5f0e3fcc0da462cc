// Integration tests start real Postgres (one per file) and real sockets: generous hook timeouts, and
// files in parallel only as far as two cores allow.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
