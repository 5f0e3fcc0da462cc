// Browser tests drive the real console (production build) with its real hub, a real embedded Postgres
// in a throwaway directory, and real agent processes, in Debian's Chromium.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { defineConfig } from "@playwright/test";

// Computed once in the runner and inherited by workers through the environment.
if (!process.env.MW_E2E_DIR) {
  process.env.MW_E2E_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "mailwarden-e2e-"));
  // Embedded PostgreSQL runs as user "postgres" and must be able to enter this directory.
  fs.chmodSync(process.env.MW_E2E_DIR, 0o711);
}
process.env.MW_E2E_SETUP_TOKEN ??= randomBytes(24).toString("base64url");
process.env.MW_E2E_PORT ??= "3107";

const repoRoot = path.resolve(import.meta.dirname, "..");
export const baseURL = `http://localhost:${process.env.MW_E2E_PORT}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 180_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  // One console per run and one setup link: console.spec.ts creates the provider admin the other
  // journeys sign in with (support/provider-admin.ts); the lockout of that admin comes last.
  projects: [
    { name: "console", testMatch: "console.spec.ts" },
    {
      name: "journeys",
      testMatch: [
        "policy-locks.spec.ts",
        "mail-features.spec.ts",
        "mailing-lists.spec.ts",
        "ip-lists.spec.ts",
        "listeners.spec.ts",
        "forms.spec.ts",
        "more-forms.spec.ts",
        "people.spec.ts",
        "sessions.spec.ts",
        "responsive.spec.ts",
        "policy-editor.spec.ts",
        "health.spec.ts",
        "mail-logs.spec.ts",
      ],
      dependencies: ["console"],
    },
    { name: "lockout", testMatch: "lockout.spec.ts", dependencies: ["journeys"] },
  ],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: {
    command: "npm run build -w @mailwarden/web && npm run serve -w @mailwarden/web",
    cwd: repoRoot,
    url: `${baseURL}/login`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
    env: {
      PORT: process.env.MW_E2E_PORT,
      HOST: "localhost",
      MAILWARDEN_DATA_DIR: path.join(process.env.MW_E2E_DIR, "console"),
      MAILWARDEN_DB_PORT: String(Number(process.env.MW_E2E_PORT) + 51000),
      MAILWARDEN_SETUP_TOKEN: process.env.MW_E2E_SETUP_TOKEN,
      MAILWARDEN_HEARTBEAT_SECONDS: "1",
      MAILWARDEN_DEMO_AGENT: "0",
      // The browser tests act from several client addresses through X-Forwarded-For (lockout.spec.ts).
      MAILWARDEN_TRUSTED_PROXIES: "127.0.0.1/8,::1",
      NEXT_TELEMETRY_DISABLED: "1",
      LOG_LEVEL: "warn",
    },
  },
});
