// Bench-only experiment, never part of the agent: loaded with `node --import` into one extra agent
// process to measure what smtp-server's fixed 100 ms pause before the 220 greeting costs (STACK.md
// landmine 9). It turns exactly that timer into a 0 ms one: a 100 ms setTimeout called from
// smtp-server's connection code or the agent's PolicySmtpConnection. Every other timer is untouched.
import { promisify } from "node:util";

const original = globalThis.setTimeout;
const pattern = /smtp-connection|policy-smtp-server/;

function setTimeoutWithoutGreetingDelay(callback, delay, ...args) {
  if (delay === 100 && pattern.test(new Error().stack ?? "")) delay = 0;
  return original.call(this, callback, delay, ...args);
}
setTimeoutWithoutGreetingDelay[promisify.custom] = original[promisify.custom];
globalThis.setTimeout = setTimeoutWithoutGreetingDelay;
