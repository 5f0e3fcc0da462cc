// bench/RESULTS.md from one run. The hand-written findings between the findings markers of the
// previous RESULTS.md are carried over, so re-running the benchmark keeps the team's analysis.
import { readFileSync } from "node:fs";
import type { ProfileSummary } from "./profile";
import type { Load, LoadResult } from "./source";
import { HARAKA_CHECKS } from "./peers";
import type { WarmUpTurn } from "./warm-up";

export interface MeasuredLoad extends LoadResult {
  /** CPU time of the server process (all threads) / wall time of the run. 100 % = one core. */
  serverCpuPercent: number;
  /** The same for smtp-source. */
  sourceCpuPercent: number;
  /** The same for dnsmasq (the agent's SPF/DKIM/DMARC lookups). */
  dnsCpuPercent: number;
  /** Interrupt and softirq time of the machine (loopback TCP/IP, disk completions): no process pays it. */
  interruptCpuPercent: number;
  /** Everything else: other processes, kernel threads (e.g. the filesystem journal flushing fsyncs). */
  otherCpuPercent: number;
  /** The biggest of those others ("name 40 %"). */
  topOthers: string[];
  /** All cores; 100 % = one core, so 2 cores top out at 200 %. */
  machineCpuPercent: number;
  /** DNS queries dnsmasq answered during the run (the server's SPF/DKIM/DMARC lookups). */
  dnsQueries: number;
  /** msgs/s of every repetition; the best one is the result. */
  repeats: number[];
  /** Messages found stored afterwards (the agent's Maildir); null for peers that discard. */
  stored: number | null;
  /** How long after smtp-source ended until every message was stored (the agent's queue draining). */
  drainMs: number;
}

export interface PeerRun {
  name: string;
  /** Median milliseconds from connect() to the 220 greeting. */
  greetingMs: number | null;
  results: Record<string, MeasuredLoad>;
  /** The warm-up turns (reused connections, 1 KiB) before anything was measured. */
  warmUp?: WarmUpTurn[];
}

export interface BenchReport {
  date: string;
  machine: {
    nproc: string;
    cpu: string;
    memory: string;
    node: string;
    kernel: string;
    commit: string;
    treeDirty: boolean;
    versions: { postfix: string; haraka: string; dnsmasq: string; smtpServer: string; mailauth: string };
  };
  targetSeconds: number;
  loads: Load[];
  fewSessionsNew: Load;
  peers: PeerRun[];
  noDelay: PeerRun | null;
  profile: { summary: ProfileSummary; load: MeasuredLoad; file: string; label: string } | null;
  quick: boolean;
  totalSeconds: number;
  agentSettingsDropped: string[];
  /** The machine's idleness before each peer (it is shared with other work). */
  quietness: { before: string; busyPercent: number; waitedSeconds: number }[];
  loadAverage: number;
  authResults: string | null;
  agentLog: { bytes: number; lines: number; accepted: number; warnings: string[] } | null;
}

export const FINDINGS_START = "<!-- findings:start (hand-written; kept when the benchmark is re-run) -->";
export const FINDINGS_END = "<!-- findings:end -->";

/** Targets from the issue: agent ≥ 1.0× Haraka on reused connections, ≥ 0.5× on new connections. */
export function targetFor(load: Load): number {
  return load.reuse ? 1.0 : 0.5;
}

const rate = (result: LoadResult | undefined) => (result ? result.msgsPerSecond.toFixed(0) : "—");
const ratio = (a: LoadResult | undefined, b: LoadResult | undefined) =>
  a && b ? a.msgsPerSecond / b.msgsPerSecond : Number.NaN;
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "—");
const percent = (value: number) => `${value.toFixed(0)} %`;

function previousFindings(file: string): string | null {
  try {
    const text = readFileSync(file, "utf8");
    const start = text.indexOf(FINDINGS_START);
    const end = text.indexOf(FINDINGS_END);
    if (start < 0 || end < start) return null;
    return text.slice(start + FINDINGS_START.length, end).trim();
  } catch {
    return null;
  }
}

export function renderReport(report: BenchReport, previousFile?: string): string {
  const peer = (name: string) => report.peers.find((run) => run.name === name);
  const sink = peer("smtp-sink");
  const haraka = peer("Haraka");
  const harakaChecks = peer(HARAKA_CHECKS);
  const agent = peer("agent");
  const allLoads = [...report.loads, report.fewSessionsNew];
  const out: string[] = [];
  const line = (text = "") => out.push(text);

  line("# Mailwarden SMTP benchmark — results");
  line();
  line(
    `Written by \`bash bench/run.sh\` (see [README.md](README.md)) on ${report.date.slice(0, 16).replace("T", " ")} UTC; ` +
      `the whole run took **${report.totalSeconds.toFixed(0)} s**.` +
      (report.quick ? " **Quick mode (`--quick`): short runs, figures are rough.**" : ""),
  );
  line();
  line("## Machine");
  line();
  line(`- \`nproc\`: ${report.machine.nproc} (${report.machine.cpu}); Linux ${report.machine.kernel}`);
  line(
    `- Node.js ${report.machine.node}; smtp-server ${report.machine.versions.smtpServer}, ` +
      `mailauth ${report.machine.versions.mailauth}`,
  );
  line(
    `- peers: postfix ${report.machine.versions.postfix} (smtp-source, smtp-sink), Haraka ${report.machine.versions.haraka}, ` +
      `dnsmasq ${report.machine.versions.dnsmasq}`,
  );
  line(
    `- agent code: commit ${report.machine.commit}` +
      (report.machine.treeDirty ? " plus the uncommitted work in agent/ and packages/ of that moment" : ""),
  );
  line("- `free -h`:");
  line();
  line("```text");
  line(report.machine.memory);
  line("```");
  line();

  line("## Throughput (messages per second, higher is better)");
  line();
  line(
    `\`msgs/s = messages / wall time of the smtp-source run\`, i.e. messages answered \`250\`. Each run is sized ` +
      `to last about ${report.targetSeconds} s from a short calibration run of the same load, after a warm-up ` +
      "until the peer's rate stops climbing; " +
      "the best of the repetitions counts (see the details below).",
  );
  line();
  line(
    `| load | smtp-sink | Haraka | ${HARAKA_CHECKS} | agent | agent / Haraka | ` +
      `agent / ${HARAKA_CHECKS} | agent / smtp-sink |`,
  );
  line("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const load of allLoads) {
    const extra = load.id === report.fewSessionsNew.id ? " (diagnostic)" : "";
    const a = agent?.results[load.id];
    const checks = harakaChecks?.results[load.id];
    line(
      `| ${load.label}${extra} | ${rate(sink?.results[load.id])} | ${rate(haraka?.results[load.id])} | ` +
        `${rate(checks)} | ${rate(a)} | ${times(ratio(a, haraka?.results[load.id]))} | ${times(ratio(a, checks))} | ` +
        `${times(ratio(a, sink?.results[load.id]))} |`,
    );
  }
  line();
  const repeats = Math.max(
    ...allLoads.flatMap((load) =>
      [sink, haraka, harakaChecks, agent].map((run) => run?.results[load.id]?.repeats.length ?? 0),
    ),
  );
  const warmed = [sink, haraka, harakaChecks, agent, report.noDelay].filter((run) => run?.warmUp?.length);
  if (warmed.length > 0) {
    line(
      "Warm-up. Before anything is measured, each peer gets turns of the reused-connection 1 KiB load (about " +
        "1 s each) until three turns in a row fail to beat the best before them by more than 5 % (at least 5 " +
        "turns and 8,000 messages, 3,000 in quick mode; at most 90 s): a fresh process is slower until V8 has optimized its hot code, and the agent " +
        "needs thousands of messages for that; so does a peer that fsyncs every message to disk after many " +
        "files were deleted on this machine. msgs/s turn by turn:",
    );
    line();
    for (const run of warmed) {
      const turns = run!.warmUp!;
      const messages = turns.reduce((sum, turn) => sum + turn.messages, 0);
      line(
        `- ${run!.name}: ${turns.map((turn) => turn.msgsPerSecond.toFixed(0)).join(", ")} (${messages} messages)`,
      );
    }
    line();
  }
  line(
    `Details. All peers run at once and take turns load by load (in rotated order), so other work on this ` +
      `shared machine hits them alike. Each peer's run is done ${repeats} times and the best counts. CPU during ` +
      "that run, as a share of one core: the server process (all threads), smtp-source, dnsmasq (the agent's " +
      "DNS lookups), interrupts/softirq (loopback TCP, disk completions; charged to no process) and everything " +
      "else: other processes and kernel threads such as the filesystem journal that fsync wakes.",
  );
  line();
  line(
    "| load | peer | messages | seconds | msgs/s of each run | server | smtp-source | dnsmasq | irq | other | biggest others |",
  );
  line("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const load of allLoads) {
    for (const run of [sink, haraka, harakaChecks, agent, report.noDelay]) {
      const result = run?.results[load.id];
      if (!run || !result) continue;
      line(
        `| ${load.label} | ${run.name} | ${result.messages} | ${(result.elapsedMs / 1000).toFixed(2)} | ` +
          `${result.repeats.map((value) => value.toFixed(0)).join(", ")} | ${percent(result.serverCpuPercent)} | ` +
          `${percent(result.sourceCpuPercent)} | ${percent(result.dnsCpuPercent)} | ` +
          `${percent(result.interruptCpuPercent)} | ${percent(result.otherCpuPercent)} | ` +
          `${result.topOthers.join(", ") || "—"} |`,
      );
    }
  }
  line();
  line(
    `The machine (waiting up to 30 s for a quiet second; 1-minute load average at the start ` +
      `${report.loadAverage.toFixed(1)}): ` +
      report.quietness
        .map(
          (entry) =>
            `before ${entry.before}: ${entry.busyPercent.toFixed(0)} % busy after ${entry.waitedSeconds.toFixed(0)} s`,
        )
        .join("; ") +
      ".",
  );
  line();
  if (agent) {
    line(
      "The agent answers `250` once the message is in its durable queue; its delivery worker then writes it to " +
        "the Maildir. Counted from the first message to the last one in the Maildir:",
    );
    line();
    line("| load | accepted msgs/s | delivered msgs/s | queue drained after the last 250 |");
    line("| --- | ---: | ---: | ---: |");
    for (const load of allLoads) {
      const result = agent.results[load.id];
      if (!result) continue;
      const delivered = (result.messages * 1000) / (result.elapsedMs + result.drainMs);
      line(
        `| ${load.label} | ${rate(result)} | ${delivered.toFixed(0)} | ${(result.drainMs / 1000).toFixed(1)} s |`,
      );
    }
    line();
  }
  line("What each peer does with a message before it answers `250` to the final dot:");
  line();
  line("| peer | per message |");
  line("| --- | --- |");
  line("| smtp-sink | nothing: parses SMTP and throws the message away (C, one process, event loop) |");
  line(
    "| Haraka | its SMTP engine with no default plugins; `bench_accept` accepts every recipient and discards " +
      "the message in the queue hook; default logging (info) to a file; one process (`nodes=0`) |",
  );
  line(
    `| ${HARAKA_CHECKS} | not in the issue; there to compare like with like. Haraka as above plus its own plugins ` +
      "`spf` (HELO and MAIL FROM; `bench_dns` points Node's resolver at the bench DNS server and has the " +
      "loopback client count as public, since the plugin skips private addresses) and `dkim` (verification); " +
      "no DMARC (Haraka ships no DMARC plugin); `bench_maildir` writes the message to a temp file, fsyncs it " +
      "and renames it into a Maildir's `new/` before the `250` |",
  );
  line(
    "| agent | `mailwarden-agent run` as in production: the default (locked-down) policy, RCPT checked against " +
      "the applied config, SPF + DKIM + DMARC (+ ARC) of the sender domain through the bench DNS server, " +
      "the message fsynced into the durable queue; JSON log (info) to a file. Delivery to Maildir (fsync of " +
      "file and folder) follows in the same process |",
  );
  line();

  line("## Targets");
  line();
  line("Item 9's targets, against Haraka discarding every message:");
  line();
  line("| target | load | agent / Haraka | met |");
  line("| --- | --- | ---: | --- |");
  const verdicts: boolean[] = [];
  for (const load of report.loads) {
    const value = ratio(agent?.results[load.id], haraka?.results[load.id]);
    const met = Number.isFinite(value) && value >= targetFor(load);
    verdicts.push(met);
    line(
      `| ≥ ${targetFor(load).toFixed(1)}× Haraka | ${load.label} | ${times(value)} | ${met ? "yes" : "**no**"} |`,
    );
  }
  line();
  line(
    verdicts.every(Boolean)
      ? "All targets are met."
      : `${verdicts.filter((met) => !met).length} of ${verdicts.length} targets are **not met**.`,
  );
  line();
  if (harakaChecks) {
    line(
      `Not a target, for comparison: the same ratios against ${HARAKA_CHECKS}, i.e. Haraka checking the ` +
        "sender and storing the message durably before its `250`, as the agent does:",
    );
    line();
    line(`| load | agent / ${HARAKA_CHECKS} |`);
    line("| --- | ---: |");
    for (const load of report.loads) {
      line(`| ${load.label} | ${times(ratio(agent?.results[load.id], harakaChecks.results[load.id]))} |`);
    }
    line();
  }

  line("## Correctness of the run");
  line();
  for (const run of [...report.peers, ...(report.noDelay ? [report.noDelay] : [])]) {
    const problems: string[] = [];
    for (const [id, result] of Object.entries(run.results)) {
      if (result.errors.length > 0) {
        problems.push(`${id}: smtp-source reported \`${result.errors[0]}\` (${result.errors.length} lines)`);
      }
      if (result.exitCode !== 0) problems.push(`${id}: smtp-source exited ${String(result.exitCode)}`);
      if (result.stored !== null && result.stored !== result.messages) {
        problems.push(`${id}: ${result.stored} of ${result.messages} messages in the Maildir`);
      }
    }
    const storedNote = Object.values(run.results).some((result) => result.stored !== null)
      ? " (every message of every run counted in the Maildir)"
      : "";
    line(`- ${run.name}: ${problems.length ? problems.join("; ") : `no errors${storedNote}`}`);
  }
  if (report.authResults) {
    line("- The agent's verdict on the bench messages (trace headers of a delivered copy):");
    line();
    line("  ```text");
    for (const header of report.authResults.split("\n")) line(`  ${header}`);
    line("  ```");
    line();
  }
  if (report.agentLog) {
    const log = report.agentLog;
    line(
      `- Agent log at the default level: ${log.lines} lines, ${(log.bytes / 1024 / 1024).toFixed(1)} MiB for ` +
        `${log.accepted} accepted messages (≈ ${(log.lines / Math.max(1, log.accepted)).toFixed(1)} lines, ` +
        `${(log.bytes / Math.max(1, log.accepted)).toFixed(0)} bytes per message)` +
        (log.warnings.length
          ? `; first warning or error: \`${log.warnings[0]}\``
          : "; no warnings or errors."),
    );
  }
  const asking = [...report.peers, ...(report.noDelay ? [report.noDelay] : [])]
    .map((run) => {
      const results = Object.values(run.results);
      const queries = results.reduce((sum, result) => sum + (result.dnsQueries ?? 0), 0);
      const messages = results.reduce((sum, result) => sum + result.messages, 0);
      return { name: run.name, queries, messages };
    })
    .filter((each) => each.queries > 0);
  if (asking.length > 0) {
    line(
      "- DNS queries dnsmasq answered during the measured runs: " +
        asking
          .map(
            (each) =>
              `${each.name} ${each.queries} for ${each.messages} messages ` +
              `(≈ ${(each.queries / Math.max(1, each.messages)).toFixed(2)} per message)`,
          )
          .join("; ") +
        ". The agent's resolver caches answers for their TTL; Node's resolver, which Haraka's plugins use, " +
        "caches nothing. The other peers make no queries.",
    );
  }
  if (report.agentSettingsDropped.length > 0) {
    line(
      `- Settings this agent version refused and the bench left out: ${report.agentSettingsDropped.join("; ")}.`,
    );
  }
  line();

  line("## Greeting delay (STACK.md landmine 9)");
  line();
  line("Median time from `connect()` to the `220` greeting over 20 sequential connections:");
  line();
  line("| server | connect → 220 |");
  line("| --- | ---: |");
  for (const run of [...report.peers, ...(report.noDelay ? [report.noDelay] : [])]) {
    line(`| ${run.name} | ${run.greetingMs === null ? "—" : `${run.greetingMs.toFixed(1)} ms`} |`);
  }
  line();
  if (report.noDelay && agent) {
    const few = report.fewSessionsNew;
    const many = report.loads.find((load) => load.id === "new-1k")!;
    line(
      "A second agent (own state directory, same config) ran alongside, taking turns with the others, with a " +
        "bench-only preload (`bench/lib/no-greeting-delay.mjs`) that turns the 100 ms pre-greeting timer into 0 ms; " +
        "nothing else differs:",
    );
    line();
    line(
      "| load | agent | agent, greeting delay 0 | throughput lost to the delay | ceiling from the delay alone |",
    );
    line("| --- | ---: | ---: | ---: | ---: |");
    for (const load of [few, many]) {
      const a = agent.results[load.id];
      const b = report.noDelay.results[load.id];
      const cost = a && b ? 1 - a.msgsPerSecond / b.msgsPerSecond : Number.NaN;
      line(
        `| ${load.label} | ${rate(a)} | ${rate(b)} | ${Number.isFinite(cost) ? percent(cost * 100) : "—"} | ` +
          `${(load.sessions / 0.1).toFixed(0)} msgs/s (${load.sessions} sessions / 0.1 s) |`,
      );
    }
    line();
  }

  if (report.profile) {
    const { summary, load } = report.profile;
    line(`## Profile of the agent (${report.profile.label})`);
    line();
    line(
      `\`node --cpu-prof\` on the agent process during the load "${report.profile.label}" ` +
        `(${load.msgsPerSecond.toFixed(0)} msgs/s under the profiler, server CPU ${percent(load.serverCpuPercent)}). ` +
        `Only the samples of the measured run count: ${(summary.totalMs / 1000).toFixed(1)} s, of which the main ` +
        `thread was busy ${(summary.busyMs / 1000).toFixed(1)} s (${percent((100 * summary.busyMs) / summary.totalMs)}). ` +
        `Percentages below are of busy time; "native: …" is time in Node's C++ bindings on the main thread. ` +
        `Open \`${report.profile.file}\` in Chrome DevTools or speedscope for the flame graph.`,
    );
    line();
    line("Self time by component:");
    line();
    line("| component | self ms | % |");
    line("| --- | ---: | ---: |");
    for (const entry of summary.selfByComponent)
      line(`| ${entry.name} | ${entry.ms.toFixed(0)} | ${entry.percent.toFixed(1)} |`);
    line();
    line("Time inside npm packages (callees included):");
    line();
    line("| package | inclusive ms | % |");
    line("| --- | ---: | ---: |");
    for (const entry of summary.packageInclusive)
      line(`| ${entry.name} | ${entry.ms.toFixed(0)} | ${entry.percent.toFixed(1)} |`);
    line();
    line("Agent functions by inclusive time (callees included):");
    line();
    line("| function | inclusive ms | % |");
    line("| --- | ---: | ---: |");
    for (const entry of summary.agentInclusive)
      line(`| \`${entry.name}\` | ${entry.ms.toFixed(0)} | ${entry.percent.toFixed(1)} |`);
    line();
    line("Top functions by self time:");
    line();
    line("| function | component | self ms | % |");
    line("| --- | --- | ---: | ---: |");
    for (const entry of summary.selfByFunction) {
      line(`| \`${entry.name}\` | ${entry.where} | ${entry.ms.toFixed(0)} | ${entry.percent.toFixed(1)} |`);
    }
    line();
  }

  line("## Findings");
  line();
  line(FINDINGS_START);
  line();
  line(
    previousFindings(previousFile ?? "") ??
      "_Not written yet: read the tables above and write what they mean here._",
  );
  line();
  line(FINDINGS_END);
  line();
  return out.join("\n");
}
