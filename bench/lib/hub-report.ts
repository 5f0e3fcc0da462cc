// bench/RESULTS-hub.md: the machine and run, a table per agent count (console processes side by side
// with the bare-ws baseline), the ratios to that baseline, profiles, and the issue's targets, each with
// what was measured and a plain yes/no. Missing figures (a hub that fell over) are said, not guessed.
import type { WindowStats } from "./hub-agent-pool";
import type { Spread } from "./hub-measure";
import type { BaselineResult, ScenarioResult } from "./hub-scenario";

export interface HubReport {
  date: string;
  totalSeconds: number;
  commit: string;
  command: string;
  machine: { cpu: string; cores: number; memory: string; kernel: string; node: string; loadAverage: number };
  postgres: string;
  openFiles: { bench: string; console: string; workers: string };
  build: string;
  settings: {
    connectRate: number;
    heartbeatSeconds: number | null;
    postureEvery: number;
    workers: number;
    idleSeconds: number;
    lostAckSeconds: number;
    fanoutTimeoutSeconds: number;
    changes: number;
    shape: { serversPerCustomer: number; domainsPerCustomer: number; mailboxesPerDomain: number };
    logLevel: string;
    quick: boolean;
    profile: boolean;
    sourceAddresses: boolean;
  };
  scenarios: ScenarioResult[];
  baselines: BaselineResult[];
  /** Scenarios still to run when this was written (a report written along the way). */
  pending: string[];
}

export const NOTES_START = "<!-- notes:start (hand-written; kept when the benchmark is re-run) -->";
export const NOTES_END = "<!-- notes:end -->";

const n = (value: number) => value.toLocaleString("en-US");
const pct = (value: number | undefined) => (value === undefined ? "—" : `${value.toFixed(1)} %`);
const kib = (bytes: number | null | undefined) => (bytes == null ? "—" : `${(bytes / 1024).toFixed(1)} KiB`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export function ms(value: number | null | undefined): string {
  if (value == null) return "never";
  return value < 1000 ? `${value.toFixed(0)} ms` : `${(value / 1000).toFixed(2)} s`;
}

function spreadText(s: Spread | undefined): string {
  if (!s || s.of === 0) return "—";
  return `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
}

/** p99 / max of heartbeat round trips; "—" when no heartbeat fell in the window. */
function rttText(s: Spread): string {
  return s.count === 0 ? "— (no heartbeat due)" : `${ms(s.p99)} / ${ms(s.max)}`;
}

function counts(map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([key, value]) => `${key}: ${n(value)}`).join(", ") : "none";
}

function windowNotes(w: WindowStats | undefined): string {
  if (!w) return "—";
  const parts = [
    `closes ${counts(w.closesByCode)}`,
    w.silentHub ? `silent-hub reconnects ${n(w.silentHub)}` : "",
    Object.keys(w.refusals).length
      ? `refused ${counts(w.refusals)} (Retry-After honoured ${n(w.retryAfterHonoured)})`
      : "",
    Object.keys(w.errors).length ? `errors ${counts(w.errors)}` : "",
    w.handshakeTimeouts ? `handshake timeouts ${n(w.handshakeTimeouts)}` : "",
    w.invalidFrames ? `invalid frames ${n(w.invalidFrames)} (${w.invalidReasons.join("; ")})` : "",
  ];
  return parts.filter(Boolean).join("; ");
}

const worstOf = (values: (number | null)[]): number | null =>
  values.length === 0 || values.some((v) => v === null) ? null : Math.max(...(values as number[]));

/** The scenario's figures that the targets and the comparison use. */
function headline(s: ScenarioResult | undefined) {
  if (!s) return undefined;
  const fanouts = s.fanouts;
  return {
    connected: s.memory?.connected ?? s.connect?.connected ?? 0,
    rssPerConnection: s.memory?.rssPerConnection ?? null,
    idleCpu: s.idle?.cpu.console,
    p99: fanouts.length ? worstOf(fanouts.map((f) => f.receipt.p99)) : null,
    allRecorded: fanouts.length ? worstOf(fanouts.map((f) => f.allRecordedMs)) : null,
    lostAcks: fanouts.length
      ? fanouts.some((f) => f.lostAcks === null)
        ? null
        : fanouts.reduce((t, f) => t + f.lostAcks!, 0)
      : null,
    allBack: s.restart?.allBackMs ?? null,
    allBackSinceStop: s.restart?.allBackSinceStopMs ?? null,
    onlineAfterStop: s.restart?.onlineAfterStop ?? null,
    wronglyOnline: s.restart?.wronglyOnline ?? null,
  };
}

function scenarioTable(
  agents: number,
  scenarios: ScenarioResult[],
  baseline: BaselineResult | undefined,
): string {
  const columns = scenarios.map((s) => `${s.processes} console process${s.processes > 1 ? "es" : ""}`);
  const hasBaseline = Boolean(baseline);
  const header = `| | ${[...columns, ...(hasBaseline ? ["bare ws baseline"] : [])].join(" | ")} |`;
  const rule = `| --- | ${[...columns, ...(hasBaseline ? ["bare"] : [])].map(() => "---").join(" | ")} |`;
  const rows: string[] = [];
  const row = (label: string, values: string[], base = "") =>
    rows.push(`| ${label} | ${[...values, ...(hasBaseline ? [base || "—"] : [])].join(" | ")} |`);
  const each = (f: (s: ScenarioResult) => string) => scenarios.map((s) => f(s));

  row(
    "connected (agents welcomed)",
    each((s) =>
      s.connect
        ? `${n(s.connect.connected)} of ${n(agents)}${s.connect.timedOut ? " (timed out)" : ""}`
        : "—",
    ),
    baseline?.connect ? `${n(baseline.connect.connected)} of ${n(agents)}` : "",
  );
  row(
    "connect rate achieved (asked)",
    each((s) => (s.connect ? `${s.connect.achievedRate.toFixed(0)}/s (${s.connect.rate}/s)` : "—")),
    baseline?.connect ? `${baseline.connect.achievedRate.toFixed(0)}/s` : "",
  );
  row(
    "first attempt → welcome, p50 / p99 / max",
    each((s) => spreadText(s.connect?.firstWelcome)),
    spreadText(baseline?.connect?.firstWelcome),
  );
  row(
    "during connect: console / Postgres / agents CPU",
    each((s) =>
      s.connect
        ? `${pct(s.connect.cpu.console)} / ${pct(s.connect.cpu.postgres)} / ${pct(s.connect.cpu.agents)}`
        : "—",
    ),
    baseline?.connect ? `${pct(baseline.connect.cpu.console)} / — / ${pct(baseline.connect.cpu.agents)}` : "",
  );
  row(
    "during connect: what the agents saw",
    each((s) => windowNotes(s.connect?.window)),
    windowNotes(baseline?.connect?.window),
  );
  row(
    "console RSS before → with agents (after full GC)",
    each((s) =>
      s.memory ? s.memory.baseRss.map((b, i) => `${mib(b)} → ${mib(s.memory!.rss[i]!)}`).join("; ") : "—",
    ),
    baseline?.memory ? `${mib(baseline.memory.baseRss[0]!)} → ${mib(baseline.memory.rss[0]!)}` : "",
  );
  row(
    "**RSS per connection**",
    each((s) => kib(s.memory?.rssPerConnection)),
    kib(baseline?.memory?.rssPerConnection),
  );
  row(
    "JS heap per connection",
    each((s) => kib(s.memory?.heapPerConnection)),
    kib(baseline?.memory?.heapPerConnection),
  );
  row(
    "**idle CPU, console** (% of one core)",
    each((s) => pct(s.idle?.cpu.console)),
    pct(baseline?.idle?.cpu.console),
  );
  row(
    "idle CPU, Postgres",
    each((s) => pct(s.idle?.cpu.postgres)),
  );
  row(
    "idle CPU, bench: agents / orchestrator",
    each((s) => `${pct(s.idle?.cpu.agents)} / ${pct(s.idle?.cpu.bench)}`),
    baseline?.idle ? `${pct(baseline.idle.cpu.agents)} / ${pct(baseline.idle.cpu.bench)}` : "",
  );
  const others = (cpu: Record<string, number> | undefined) =>
    cpu
      ? pct(
          Math.max(
            0,
            cpu.machine! - (cpu.console ?? 0) - (cpu.postgres ?? 0) - (cpu.agents ?? 0) - (cpu.bench ?? 0),
          ),
        )
      : "—";
  row(
    "idle: whole machine (200 % = both cores); of it other people's",
    each((s) => `${pct(s.idle?.cpu.machine)}; ${others(s.idle?.cpu)}`),
    `${pct(baseline?.idle?.cpu.machine)}; ${others(baseline?.idle?.cpu)}`,
  );
  row(
    "idle: database transactions/s",
    each((s) => (s.idle ? s.idle.transactionsPerSecond.toFixed(0) : "—")),
    "0",
  );
  row(
    "idle: heartbeat → ack p50 / p99 / max",
    each((s) => spreadText(s.idle?.window.heartbeatRtt)),
    spreadText(baseline?.idle?.window.heartbeatRtt),
  );
  row(
    "idle: what the agents saw",
    each((s) => windowNotes(s.idle?.window)),
    windowNotes(baseline?.idle?.window),
  );
  const changes = Math.max(0, ...scenarios.map((s) => s.fanouts.length));
  for (let c = 0; c < changes; c++) {
    const label = changes > 1 ? `fan-out ${c + 1}` : "fan-out";
    const bf = c === 0 ? baseline?.fanout : undefined;
    const f = (s: ScenarioResult) => s.fanouts[c];
    row(
      `${label}: service call (commit)`,
      each((s) => (f(s) ? ms(f(s)!.serviceMs) : "—")),
    );
    row(
      `**${label}: commit → receipt, p50 / p99 / max**`,
      each((s) => spreadText(f(s)?.receipt)),
      baseline?.fanout ? `${spreadText(baseline.fanout.receipt)} (from the first send)` : "",
    );
    row(
      `${label}: agents that got it`,
      each((s) =>
        f(s) ? `${n(f(s)!.receipt.count)} of ${n(agents)}${f(s)!.timedOut ? " (timed out)" : ""}` : "—",
      ),
      baseline?.fanout ? `${n(baseline.fanout.receipt.count)} of ${n(agents)}` : "",
    );
    if (scenarios.some((s) => s.processes > 1)) {
      row(
        `${label}: p99 per console process`,
        each((s) =>
          f(s)
            ? f(s)!
                .receiptByGroup.map((g, i) => `#${i + 1}: ${ms(g.p99)} (${n(g.count)}/${n(g.of)})`)
                .join(", ")
            : "—",
        ),
      );
    }
    row(
      `**${label}: every row shows it applied**`,
      each((s) =>
        f(s)
          ? ms(f(s)!.allRecordedMs) +
            (f(s)!.allRecordedMs === null ? ` (${n(f(s)!.recordedAtEnd)} of ${n(agents)} at the end)` : "")
          : "—",
      ),
    );
    row(
      `**${label}: lost acks**`,
      each((s) => (f(s) ? (f(s)!.lostAcks === null ? "unknown" : n(f(s)!.lostAcks!)) : "—")),
    );
    row(
      `${label}: console CPU / peak RSS`,
      each((s) => (f(s) ? `${pct(f(s)!.cpu.console)} / ${f(s)!.peakRss.map(mib).join(", ")}` : "—")),
      bf ? `${pct(bf.cpu.console)} (its send loop: ${ms(bf.sentMs)})` : "",
    );
    row(
      `${label}: Postgres CPU, transactions`,
      each((s) => (f(s) ? `${pct(f(s)!.cpu.postgres)}, ${n(f(s)!.transactions)}` : "—")),
    );
    row(
      `${label}: heartbeat → ack p99 / max`,
      each((s) => (f(s) ? rttText(f(s)!.window.heartbeatRtt) : "—")),
      bf ? rttText(bf.window.heartbeatRtt) : "",
    );
    row(
      `${label}: what the agents saw`,
      each((s) =>
        f(s)
          ? `pushes ${n(f(s)!.window.pushes)} (repeats ${n(f(s)!.window.duplicatePushes)}); ${windowNotes(f(s)!.window)}`
          : "—",
      ),
    );
    row(
      `${label}: bench agents CPU, their event-loop delay p99 / max`,
      each((s) =>
        f(s)
          ? `${pct(f(s)!.cpu.agents)}, ${ms(f(s)!.window.loopDelay.p99)} / ${ms(f(s)!.window.loopDelay.max)}`
          : "—",
      ),
      bf ? `${pct(bf.cpu.agents)}, ${ms(bf.window.loopDelay.p99)} / ${ms(bf.window.loopDelay.max)}` : "",
    );
  }
  row(
    "config frame size",
    each((s) => (s.frameBytes === null ? "—" : `${n(s.frameBytes)} bytes`)),
    baseline?.fanout ? `${n(baseline.fanout.frameBytes)} bytes` : "",
  );
  const r = (s: ScenarioResult) => s.restart;
  row(
    "restart: SIGTERM → process gone",
    each((s) =>
      r(s)
        ? `${ms(r(s)!.stop.ms)} (exit ${r(s)!.stop.exit}${r(s)!.stop.wasKilled ? ", had to be killed" : ""})`
        : "—",
    ),
  );
  row(
    "**restart: its servers still ONLINE once it stopped**",
    each((s) =>
      r(s)
        ? `${n(r(s)!.onlineAfterStop)} of ${n(r(s)!.share)}` +
          (r(s)!.othersOnlineAfterStop !== null
            ? ` (other process: ${n(r(s)!.othersOnlineAfterStop!)} of ${n(r(s)!.othersShare)} ONLINE, as they should)`
            : "")
        : "—",
    ),
  );
  row(
    "restart: console start-up (spawn → /healthz 200)",
    each((s) => (r(s) ? ms(r(s)!.startupMs) : "—")),
  );
  row(
    "**restart: all back** (from spawn; from SIGTERM)",
    each((s) =>
      r(s)
        ? `${ms(r(s)!.allBackMs)}; ${ms(r(s)!.allBackSinceStopMs)}${r(s)!.allBackMs === null ? ` (${n(r(s)!.back)} of ${n(r(s)!.share)} back)` : ""}`
        : "—",
    ),
  );
  row(
    "**restart: wrongly ONLINE / wrongly OFFLINE once back**",
    each((s) => (r(s) ? `${r(s)!.wronglyOnline ?? "—"} / ${r(s)!.wronglyOffline ?? "—"}` : "—")),
  );
  row(
    "restart: what the agents saw",
    each((s) => windowNotes(r(s)?.window)),
  );
  row(
    "restart: console / Postgres / agents CPU",
    each((s) =>
      r(s) ? `${pct(r(s)!.cpu.console)} / ${pct(r(s)!.cpu.postgres)} / ${pct(r(s)!.cpu.agents)}` : "—",
    ),
  );
  row(
    "console exits at the end",
    each((s) => (s.consoleExits.length ? s.consoleExits.join(", ") : "clean (0)")),
  );
  row(
    "errors",
    each((s) => (s.errors.length ? s.errors.join("; ").replaceAll("|", "\\|") : "none")),
    baseline?.errors.length ? baseline.errors.join("; ") : "none",
  );
  return [header, rule, ...rows].join("\n");
}

function ratio(value: number | null | undefined, base: number | null | undefined): string {
  if (value == null || base == null || base <= 0) return "—";
  return `${(value / base).toFixed(1)}×`;
}

function comparisonTable(agents: number, scenarios: ScenarioResult[], baseline: BaselineResult): string {
  const lines = [
    `| ${n(agents)} agents | ${scenarios.map((s) => `${s.processes} process${s.processes > 1 ? "es" : ""}`).join(" | ")} | bare ws |`,
    `| --- | ${scenarios.map(() => "---").join(" | ")} | --- |`,
  ];
  const add = (
    label: string,
    value: (s: ScenarioResult) => number | null | undefined,
    base: number | null | undefined,
    show: (v: number | null | undefined) => string,
  ) =>
    lines.push(
      `| ${label} | ${scenarios.map((s) => `${show(value(s))} (${ratio(value(s), base)})`).join(" | ")} | ${show(base)} |`,
    );
  add("RSS per connection", (s) => s.memory?.rssPerConnection, baseline.memory?.rssPerConnection, kib);
  add(
    "idle CPU (% of a core)",
    (s) => s.idle?.cpu.console,
    baseline.idle?.cpu.console,
    (v) => pct(v ?? undefined),
  );
  add("fan-out p50", (s) => s.fanouts[0]?.receipt.p50, baseline.fanout?.receipt.p50, ms);
  add("fan-out p99", (s) => s.fanouts[0]?.receipt.p99, baseline.fanout?.receipt.p99, ms);
  add("fan-out max", (s) => s.fanouts[0]?.receipt.max, baseline.fanout?.receipt.max, ms);
  lines.push(
    `| connect rate achieved | ${scenarios.map((s) => `${s.connect?.achievedRate.toFixed(0) ?? "—"}/s (${ratio(s.connect?.achievedRate, baseline.connect?.achievedRate)})`).join(" | ")} | ${baseline.connect?.achievedRate.toFixed(0) ?? "—"}/s |`,
  );
  return lines.join("\n");
}

function targetsTable(report: HubReport): string {
  const rows = ["| target | goal | measured | met |", "| --- | --- | --- | --- |"];
  const full = 10_000;
  for (const processes of [1, 2]) {
    const scenario = report.scenarios.find((s) => s.agents === full && s.processes === processes);
    const who = processes === 1 ? "one console process" : "two console processes, 10,000 in total";
    const h = headline(scenario);
    const add = (target: string, goal: string, measured: string, met: boolean) =>
      rows.push(`| ${target} (${who}) | ${goal} | ${measured} | ${met ? "yes" : "no"} |`);
    if (!h) {
      const missing = "not measured in this run";
      add("10,000 agents at ≤ 10 KB each", "10,000 connected, ≤ 10 KiB RSS each", missing, false);
      add("idle CPU", "≤ 5 % of a core", missing, false);
      add("fan-out p99", "≤ 1 s", missing, false);
      add("all recorded applied", "≤ 2 s", missing, false);
      add("all back after a restart", "≤ 30 s", missing, false);
      add("servers wrongly online", "0", missing, false);
      add("lost acks", "0", missing, false);
      continue;
    }
    add(
      "10,000 agents at ≤ 10 KB each",
      "10,000 connected, ≤ 10 KiB RSS each",
      `${n(h.connected)} connected, ${kib(h.rssPerConnection)} each`,
      h.connected >= full && h.rssPerConnection !== null && h.rssPerConnection <= 10 * 1024,
    );
    add(
      "idle CPU",
      `≤ 5 % of a core${processes > 1 ? " (both processes together)" : ""}`,
      pct(h.idleCpu),
      h.idleCpu !== undefined && h.idleCpu <= 5,
    );
    add("fan-out p99", "≤ 1 s", ms(h.p99), h.p99 !== null && h.p99 <= 1000);
    add("all recorded applied", "≤ 2 s", ms(h.allRecorded), h.allRecorded !== null && h.allRecorded <= 2000);
    add(
      "all back after a restart",
      "≤ 30 s from the new process's start",
      `${ms(h.allBack)} (${ms(h.allBackSinceStop)} from SIGTERM)`,
      h.allBack !== null && h.allBack <= 30_000,
    );
    add(
      "servers wrongly online",
      "0 after the stop, 0 once all are back",
      `${h.onlineAfterStop ?? "unknown"} after the stop, ${h.wronglyOnline ?? "unknown"} once back`,
      h.onlineAfterStop === 0 && h.wronglyOnline === 0,
    );
    add("lost acks", "0", h.lostAcks === null ? "unknown" : n(h.lostAcks), h.lostAcks === 0);
  }
  return rows.join("\n");
}

function profileSection(report: HubReport): string {
  const parts: string[] = [];
  for (const s of report.scenarios) {
    for (const profile of s.profiles) {
      parts.push(
        `### ${n(s.agents)} agents, ${s.processes} process${s.processes > 1 ? "es" : ""}: ${profile.console} during the fan-out`,
        "",
        `${ms(profile.busyMs)} busy of ${ms(profile.totalMs)} (the window from the policy change to the end of the fan-out).`,
        "",
        "| self time by component | ms | % of busy |",
        "| --- | ---: | ---: |",
        ...profile.selfByComponent
          .slice(0, 10)
          .map((h) => `| ${h.name} | ${h.ms.toFixed(0)} | ${h.percent.toFixed(1)} |`),
        "",
        "| function (self time) | component | ms | % of busy |",
        "| --- | --- | ---: | ---: |",
        ...profile.selfByFunction.map(
          (h) => `| \`${h.name}\` | ${h.where} | ${h.ms.toFixed(0)} | ${h.percent.toFixed(1)} |`,
        ),
        "",
      );
    }
  }
  return parts.join("\n");
}

export function renderHubReport(report: HubReport, previousNotes: string | null): string {
  const s = report.settings;
  const agentCounts = [...new Set(report.scenarios.map((x) => x.agents))];
  const lines = [
    "# Mailwarden hub benchmark — results",
    "",
    `Written by \`${report.command}\` (see [README.md](README.md#hub-benchmark)) on ${report.date.slice(0, 16).replace("T", " ")} UTC; the whole run took **${Math.round(report.totalSeconds)} s**.${s.quick ? " **Quick mode**: short idle and lost-ack windows, rough figures." : ""}${s.profile ? " The consoles ran under `node --cpu-prof` (a few % slower)." : ""}`,
    ...(report.pending.length
      ? ["", `**Incomplete**: written along the way; still to run: ${report.pending.join(", ")}.`]
      : []),
    "",
    "## Machine and run",
    "",
    `- ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory} RAM, Linux ${report.machine.kernel}, Node.js ${report.machine.node}; load average ${report.machine.loadAverage.toFixed(2)} at the start (the machine is shared)`,
    `- commit ${report.commit}`,
    `- PostgreSQL: ${report.postgres}`,
    `- open files (\`ulimit -n\`): bench ${report.openFiles.bench}, console ${report.openFiles.console}, agent workers ${report.openFiles.workers} (raised as far as this machine allows)`,
    `- console: \`apps/web/server.ts\` in production mode (${report.build}), \`LOG_LEVEL=${s.logLevel}\`, heartbeat ${s.heartbeatSeconds === null ? "15 s (the default)" : `${s.heartbeatSeconds} s`}; a fresh database (copied from the migrated one) and fresh console processes per scenario`,
    `- fleet: customers of ${s.shape.serversPerCustomer} servers, each customer with ${s.shape.domainsPerCustomer} domains of ${s.shape.mailboxesPerDomain} mailboxes (every server of a customer enforces all its domains); servers enrolled (credential hashes in the database) and holding revision 1`,
    `- agents: ${s.workers} worker process${s.workers > 1 ? "es" : ""}; asked connect rate ${s.connectRate}/s; a posture after the welcome, after every applied config${s.postureEvery > 0 ? ` and every ${s.postureEvery} heartbeats` : ""} (as the agent does); the agent's own backoff and Retry-After handling (\`agent/src/hub/backoff.ts\`: 1 s doubling to 30 s with equal jitter; after a 503, the Retry-After plus up to 1 s, never less than the backoff)${s.sourceAddresses ? "; one loopback source address per agent" : ""}`,
    `- windows: idle ${s.idleSeconds} s; fan-out wait up to ${s.fanoutTimeoutSeconds} s; lost acks counted ${s.lostAckSeconds} s after the last ack; ${s.changes} policy change${s.changes > 1 ? "s" : ""} per scenario`,
    "",
    "How to read it: CPU is in % of one core (this machine has 2: 200 % is all of it), from `/proc/<pid>/stat`: the console process(es), Postgres (all its processes), the bench's agent workers and its orchestrator apart, and the whole machine. Memory is `VmRSS` after a full garbage collection forced through the inspector; per connection = (RSS with the agents − RSS before) / agents connected (KiB = 1,024 bytes); a console at rest still moves by ~10 MB now and then, so below a few thousand agents that figure is mostly noise (±1 KiB at 10,000). Fan-out times run from the moment the policy service's transaction committed (the NOTIFY went out) to each agent's receipt of `hub.config.apply` with the new revision, on the monotonic clock every process shares; an agent that never got it counts as infinitely late, so a p99 reads *never* when more than 1 % missed it. *All recorded* polls the `Server` rows every 50 ms until every `appliedRevision` equals the new `desiredRevision`.",
    "",
  ];
  for (const agents of agentCounts) {
    const scenarios = report.scenarios
      .filter((x) => x.agents === agents)
      .sort((a, b) => a.processes - b.processes);
    const baseline = report.baselines.find((b) => b.agents === agents);
    lines.push(`## ${n(agents)} agents`, "", scenarioTable(agents, scenarios, baseline), "");
    if (baseline) {
      lines.push(
        "Against the bare `ws` server with the same agents (the console's figure, then how many times the baseline's):",
        "",
        comparisonTable(agents, scenarios, baseline),
        "",
      );
    }
  }
  const profiles = profileSection(report);
  if (profiles) lines.push("## Where the console's time went during the fan-out", "", profiles);
  lines.push(
    "## Notes",
    "",
    NOTES_START,
    previousNotes ?? "(Hand-written findings go here.)",
    NOTES_END,
    "",
    "## Targets",
    "",
    "From issue 12, for 10,000 agents on this machine; a target not measured in this run is not met.",
    "",
    targetsTable(report),
    "",
  );
  return lines.join("\n");
}
