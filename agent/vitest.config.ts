// Agent tests: real listeners on loopback, real clients (nodemailer, swaks, node tls), a tiny in-test
// hub. Sockets and argon2 make some tests take a few hundred ms, hence the generous timeouts.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
