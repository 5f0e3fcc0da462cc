#!/usr/bin/env node
// Launcher for the agent CLI. The agent ships as TypeScript source; tsx's loader API compiles it on
// the fly, so `node agent/bin/mailwarden-agent.mjs ...` works from any directory without a build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
