// POLICY.md row 23: how much the agent records of SMTP sessions (smtpLogLevel) and of deliveries
// (deliveryLogLevel), switched by policy without a restart. It filters a component's logger rather than
// touching each log call, so every record that exists today keeps its shape and rule id:
// - "detailed": everything the component logs (at the operator's MAILWARDEN_LOG_LEVEL);
// - "normal": what went wrong or was refused — accepted commands and messages, passed rules and
//   successful deliveries are not recorded, refusals, deferrals, failures and faults are;
// - "off": no records of sessions or deliveries, only faults (warn and above), which are never policy.
import type { LogLevel } from "@mailwarden/policy";
import type { Logger } from "./log";

/** `outcome` values that report success; "normal" leaves them out. */
const successOutcomes: ReadonlySet<unknown> = new Set(["accept", "continue", "delivered", "signed"]);
const recordMethods = new Set<PropertyKey>(["trace", "debug", "info"]);

/** `logger`, recording only what `level()` (read at each call, so policy changes apply at once) allows. */
export function filterByLogPolicy(logger: Logger, level: () => LogLevel): Logger {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(logger, {
    get(target, property) {
      if (property === "child") {
        return (bindings: Record<string, unknown>) => filterByLogPolicy(target.child(bindings), level);
      }
      if (!recordMethods.has(property)) return Reflect.get(target, property, target) as unknown;
      let method = wrapped.get(property);
      if (!method) {
        const log = (target[property as "info"] as (...args: unknown[]) => void).bind(target);
        method = (first?: unknown, ...rest: unknown[]) => {
          if (isRecorded(level(), property, first)) log(first, ...rest);
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}

function isRecorded(level: LogLevel, method: PropertyKey, fields: unknown): boolean {
  if (level === "detailed") return true;
  if (level === "off" || method !== "info") return false;
  const outcome =
    fields && typeof fields === "object" ? (fields as { outcome?: unknown }).outcome : undefined;
  return !successOutcomes.has(outcome);
}
