// A stand-in for `npm start` in ./supervise.test.ts: it runs a child through the same spawnSupervised
// and onShutdownSignals that scripts/start.ts and scripts/demo.ts use for the demo agent, and reports on
// stdout what happens. argv: <log file> <child: "plain" | "ignores-sigterm"> <grace ms>
import fs from "node:fs";
import { describeExit, onShutdownSignals, spawnSupervised } from "../supervise";

const [logFile, childMode, graceMs] = process.argv.slice(2);
const childCode =
  childMode === "ignores-sigterm"
    ? "process.on('SIGTERM', () => console.log('ignoring SIGTERM'));"
    : "process.on('SIGTERM', () => process.exit(0));";
// "ready" once its SIGTERM handler is in place, so the test's signals meet the behaviour it asked for.
const child = spawnSupervised(
  process.execPath,
  ["-e", `${childCode} console.log("ready"); setInterval(() => {}, 1000);`],
  {
    logFile: logFile!,
    graceMs: Number(graceMs),
    onUnexpectedExit: (exit) => console.log(`child exited: ${describeExit(exit)}`),
  },
);
onShutdownSignals(
  async () => {
    const exit = await child.stop();
    console.log(`child stopped: ${describeExit(exit)}`);
  },
  { safetyMs: 20_000 },
);
while (!fs.readFileSync(logFile!, "utf8").includes("ready") && !child.hasExited()) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
// What the console's HTTP server does in npm start: keep the process up after the child is gone.
setInterval(() => undefined, 60_000);
console.log(JSON.stringify({ childPid: child.pid }));
