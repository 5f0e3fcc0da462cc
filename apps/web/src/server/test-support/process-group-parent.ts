// `npm start`'s outer process in ./supervise.test.ts: runs ./supervising-parent.ts (the console's stand-in)
// as a process group of its own through runAsProcessGroup, as scripts/start.ts does, and exits with its code.
import path from "node:path";
import { runAsProcessGroup } from "../supervise";

const inner = path.join(import.meta.dirname, "supervising-parent.ts");
process.exit(
  await runAsProcessGroup(process.execPath, [...process.execArgv, inner, ...process.argv.slice(2)]),
);
