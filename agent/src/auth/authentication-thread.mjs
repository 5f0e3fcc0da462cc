// Entry point of an authentication worker thread (./authentication-pool.ts). The agent ships as
// TypeScript compiled on the fly by tsx (see bin/mailwarden-agent.mjs); a worker thread starts without
// the parent's loader, so it registers tsx itself before loading the TypeScript worker code.
import { register } from "tsx/esm/api";

register();
await import("./authentication-thread.ts");
