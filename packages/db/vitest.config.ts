// Integration tests start real Postgres servers, so timeouts are generous; forks (not threads) because
// each test process owns its embedded server and must be able to stop it on exit.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
