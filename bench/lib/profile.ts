// Reads a V8 .cpuprofile (node --cpu-prof) and ranks where the time went: self time by function and by
// component (agent module, npm package, Node internals, GC), and inclusive time of the agent's own
// functions (what each step of a message costs, callees included).
import { readFile } from "node:fs/promises";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Hotspot {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Wall time covered (the window, or the whole profile). */
  totalMs: number;
  /** Time not idle (CPU busy in this process, GC and native code included). */
  busyMs: number;
  selfByFunction: Hotspot[];
  selfByComponent: Hotspot[];
  /** Agent functions by inclusive time (their callees included). */
  agentInclusive: Hotspot[];
  /** npm packages by inclusive time (time spent inside the package, its callees included). */
  packageInclusive: Hotspot[];
  /** For each of selfByFunction, the callers (four frames up) its self time came through, most first. */
  callers: Map<string, Hotspot[]>;
}

/** "agent/src/smtp/mail-server.ts", "node_modules/smtp-server/lib/x.js", "node:internal/..." → component. */
export function componentOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(program)") return "V8/native (program)";
    if (functionName === "(idle)") return "(idle)";
    return `native: ${functionName || "(anonymous)"}`;
  }
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const agent = url.indexOf("/agent/src/");
  if (agent >= 0) {
    const rest = url.slice(agent + "/agent/src/".length).split("/");
    return `agent: ${rest.length > 1 ? rest[0] : rest[0]!.replace(/\.ts$/, "")}`;
  }
  const packages = url.indexOf("/packages/");
  if (packages >= 0) return `@mailwarden/${url.slice(packages + "/packages/".length).split("/")[0]}`;
  if (url.startsWith("node:")) {
    const parts = url.replace(/^node:(internal\/)?/, "").split("/");
    return `node: ${parts[0]}`;
  }
  return url;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const repo = url.indexOf("/agent/src/");
  if (repo >= 0) return url.slice(repo + 1);
  return url.replace(/^file:\/\//, "");
}

function rank(map: Map<string, { where: string; us: number }>, busyUs: number, limit: number): Hotspot[] {
  return [...map.entries()]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, limit)
    .map(([name, { where, us }]) => ({ name, where, ms: us / 1000, percent: (100 * us) / busyUs }));
}

/** Where a frame is: "pkg/lib/file.js:12"; agent TypeScript (compiled by tsx to one line) by file only. */
function location(frame: CallFrame): string {
  if (!frame.url) return "";
  const where = shortUrl(frame.url);
  return where.endsWith(".ts") ? where : `${where}:${frame.lineNumber + 1}`;
}

/**
 * `window` (microseconds on the monotonic clock, the one process.hrtime.bigint() reads in any process
 * of the machine) keeps only the samples taken during the measured load.
 */
export async function summarizeProfile(
  file: string,
  window?: { fromUs: number; toUs: number },
  limit = 15,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // A sample's weight is the time until the next sample (V8 records the delta before each sample).
  const weights = profile.samples.map((_, index) => profile.timeDeltas[index + 1] ?? 0);

  const selfFunction = new Map<string, { where: string; us: number }>();
  const selfComponent = new Map<string, { where: string; us: number }>();
  const agentInclusive = new Map<string, { where: string; us: number }>();
  const packageInclusive = new Map<string, { where: string; us: number }>();
  const callerChains = new Map<string, Map<string, { where: string; us: number }>>();
  let busyUs = 0;
  let totalUs = 0;
  const add = (map: Map<string, { where: string; us: number }>, key: string, where: string, us: number) => {
    const entry = map.get(key);
    if (entry) entry.us += us;
    else map.set(key, { where, us });
  };

  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const us = weights[index]!;
    totalUs += us;
    const node = byId.get(id);
    if (!node) return;
    const frame = node.callFrame;
    if (frame.functionName === "(idle)") return;
    busyUs += us;
    const self = `${frame.functionName || "(anonymous)"} ${location(frame)}`.trim();
    add(selfFunction, self, componentOf(frame), us);
    const chain: string[] = [];
    for (let cursor = parent.get(id); cursor !== undefined && chain.length < 4; cursor = parent.get(cursor)) {
      const caller = byId.get(cursor)!.callFrame;
      if (caller.functionName !== "(root)")
        chain.push(`${caller.functionName || "(anonymous)"} ${location(caller)}`);
    }
    if (!callerChains.has(self)) callerChains.set(self, new Map());
    add(callerChains.get(self)!, chain.join(" < ") || "(top)", "", us);
    add(selfComponent, componentOf(frame), "", us);
    // Inclusive: every distinct agent function / package on the stack gets the sample once.
    const seenFunctions = new Set<string>();
    const seenPackages = new Set<string>();
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const stackFrame = byId.get(cursor)!.callFrame;
      const component = componentOf(stackFrame);
      if (component.startsWith("agent: ")) {
        const key = `${stackFrame.functionName || "(anonymous)"} ${location(stackFrame)}`;
        if (!seenFunctions.has(key)) {
          seenFunctions.add(key);
          add(agentInclusive, key, component, us);
        }
      } else if (stackFrame.url.includes("node_modules/") && !seenPackages.has(component)) {
        seenPackages.add(component);
        add(packageInclusive, component, "", us);
      }
    }
  });
  const selfByFunction = rank(selfFunction, busyUs, limit);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    selfByFunction,
    selfByComponent: rank(selfComponent, busyUs, limit),
    agentInclusive: rank(agentInclusive, busyUs, limit),
    packageInclusive: rank(packageInclusive, busyUs, limit),
    callers: new Map(
      selfByFunction.map((spot) => [spot.name, rank(callerChains.get(spot.name) ?? new Map(), busyUs, 3)]),
    ),
  };
}
