// `npm start` serves a production build; this rebuilds it only when a source file is newer than the
// last build, so a second start is instant. The build's own output is shown only when it fails.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === ".next" || entry.name === "generated") continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

export function buildIfNeeded(appDir: string, repoRoot: string): void {
  const buildId = path.join(appDir, ".next", "BUILD_ID");
  const builtAt = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const sources = [
    path.join(appDir, "src"),
    ...["db", "policy", "protocol"].map((p) => path.join(repoRoot, "packages", p, "src")),
  ];
  if (builtAt > Math.max(...sources.map(newestMtime))) return;
  console.log("Building the console (first start or changed sources; about a minute)…");
  const startedAt = Date.now();
  const nextBin = createRequire(path.join(appDir, "package.json")).resolve("next/dist/bin/next");
  const result = spawnSync(process.execPath, [nextBin, "build"], {
    cwd: appDir,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    const why = result.error
      ? result.error.message
      : result.signal
        ? `killed by ${result.signal}`
        : `exit code ${result.status}`;
    throw new Error(`next build failed (${why}); its output is above`);
  }
  console.log(`Built in ${Math.round((Date.now() - startedAt) / 1000)} s.`);
}
