// bench/RESULTS.md from one run. The hand-written findings between the findings markers of the
// previous RESULTS.md are carried over, so re-running the benchmark keeps the team's analysis.
import { readFileSync } from "node:fs";
import type { ProfileSummary } from "./profile";
import type { Load, LoadResult } from "./source";
import { HARAKA_CHECKS, POSTFIX } from "./peers";
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
  /**
   * CPU of the server (all threads; every process of a process tree) from the start of the run until
   * its last message was stored (until smtp-source ended for the peers that discard), per message, ms.
   */
  cpuMsPerMessage: number;
  /** One-process servers: the peak resident set during the run (VmHWM, reset before it); else null. */
  peakRssBytes: number | null;
  /** Process-tree servers (Postfix): the proportional set of all its processes after the run. */
  pssBytes: number | null;
}

export interface PeerRun {
  name: string;
  /** Median milliseconds from connect() to the 220 greeting. */
  greetingMs: number | null;
  results: Record<string, MeasuredLoad>;
  /** The warm-up turns (reused connections, 1 KiB) before anything was measured. */
  warmUp?: WarmUpTurn[];
  /** One-process servers: the resident set before any mail, and at rest after all the loads. */
  rssAtStartBytes?: number | null;
  rssIdleBytes?: number | null;
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
  /** How long the servers rested after the last load before their memory at rest was read. */
  idleSeconds: number;
  /** Postfix's maillog: lines, and warning/error/fatal/panic lines. */
  postfixLog: { lines: number; problems: number; firstProblems: string[] } | null;
}

export const FINDINGS_START = "<!-- findings:start (hand-written; kept when the benchmark is re-run) -->";
export const FINDINGS_END = "<!-- findings:end -->";

/** Issue 12 item 5: the agent ≥ 1.0× Postfix (queue + Maildir) on every load. */
export const POSTFIX_TARGET = 1.0;
/** Issue 12 item 5: the agent's resident set at rest and under the 200-session load, ≤ 100 MB. */
export const RSS_GOAL_BYTES = 100e6;
/** Item 9's former targets against Haraka discarding (not targets any more; shown for continuity). */
const formerHarakaTarget = (load: Load) => (load.reuse ? 1.0 : 0.5);

const rate = (result: LoadResult | undefined) => (result ? result.msgsPerSecond.toFixed(0) : "—");
const ratio = (a: LoadResult | undefined, b: LoadResult | undefined) =>
  a && b ? a.msgsPerSecond / b.msgsPerSecond : Number.NaN;
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "—");
const percent = (value: number) => `${value.toFixed(0)} %`;
const megabytes = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? "—" : `${(bytes / 1e6).toFixed(0)} MB`;
const cpuMs = (result: MeasuredLoad | undefined) => (result ? result.cpuMsPerMessage.toFixed(2) : "—");

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
  const postfix = peer(POSTFIX);
  const agent = peer("agent");
  const measured = [sink, haraka, harakaChecks, postfix, agent];
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
    `- peers: postfix ${report.machine.versions.postfix} (smtp-source, smtp-sink, the Postfix peer), ` +
      `Haraka ${report.machine.versions.haraka}, ` +
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
    `| load | smtp-sink | Haraka | ${HARAKA_CHECKS} | ${POSTFIX} | agent | agent / Postfix | agent / Haraka | ` +
      `agent / ${HARAKA_CHECKS} | agent / smtp-sink |`,
  );
  line("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const load of allLoads) {
    const extra = load.id === report.fewSessionsNew.id ? " (diagnostic)" : "";
    const a = agent?.results[load.id];
    const checks = harakaChecks?.results[load.id];
    const p = postfix?.results[load.id];
    line(
      `| ${load.label}${extra} | ${rate(sink?.results[load.id])} | ${rate(haraka?.results[load.id])} | ` +
        `${rate(checks)} | ${rate(p)} | ${rate(a)} | ${times(ratio(a, p))} | ` +
        `${times(ratio(a, haraka?.results[load.id]))} | ${times(ratio(a, checks))} | ` +
        `${times(ratio(a, sink?.results[load.id]))} |`,
    );
  }
  line();
  const repeats = Math.max(
    ...allLoads.flatMap((load) => measured.map((run) => run?.results[load.id]?.repeats.length ?? 0)),
  );
  const warmed = [...measured, report.noDelay].filter((run) => run?.warmUp?.length);
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
      "that run, as a share of one core: the server (all threads; for Postfix every process of the instance: " +
      "master, smtpd, cleanup, qmgr, trivial-rewrite, virtual, postlogd…), smtp-source, dnsmasq (the agent's " +
      "DNS lookups), interrupts/softirq (loopback TCP, disk completions; charged to no process) and everything " +
      "else: other processes and kernel threads such as the filesystem journal that fsync wakes.",
  );
  line();
  line(
    "| load | peer | messages | seconds | msgs/s of each run | server | smtp-source | dnsmasq | irq | other | biggest others |",
  );
  line("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const load of allLoads) {
    for (const run of [...measured, report.noDelay]) {
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
  line(
    "CPU per message (ms; higher is worse): the server's CPU, user + system, all threads and for Postfix " +
      "every process of the instance, from the start of the best run until its last message was in the " +
      "Maildir (for the peers that discard: until smtp-source ended), divided by the messages. It includes " +
      "the delivery after the last `250`; it does not include smtp-source, dnsmasq or interrupts:",
  );
  line();
  line(`| load | smtp-sink | Haraka | ${HARAKA_CHECKS} | ${POSTFIX} | agent |`);
  line("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const load of allLoads) {
    line(`| ${load.label} | ${measured.map((run) => cpuMs(run?.results[load.id])).join(" | ")} |`);
  }
  line();
  const queueing = [postfix, agent].filter((run): run is PeerRun => run !== undefined);
  if (queueing.length > 0) {
    line(
      "The agent and Postfix answer `250` once the message is in their durable queue (the agent's journal, " +
        "Postfix's queue file); the agent's delivery worker, or Postfix's qmgr and virtual, then write it to " +
        "the Maildir. Counted from the first message to the last one in the Maildir:",
    );
    line();
    line("| load | peer | accepted msgs/s | delivered msgs/s | queue drained after the last 250 |");
    line("| --- | --- | ---: | ---: | ---: |");
    for (const load of allLoads) {
      for (const run of queueing) {
        const result = run.results[load.id];
        if (!result) continue;
        const delivered = (result.messages * 1000) / (result.elapsedMs + result.drainMs);
        line(
          `| ${load.label} | ${run.name} | ${rate(result)} | ${delivered.toFixed(0)} | ` +
            `${(result.drainMs / 1000).toFixed(1)} s |`,
        );
      }
    }
    line();
  }
  const reusedLoads = report.loads.filter((load) => load.reuse);
  const newLoads = report.loads.filter((load) => !load.reuse && load.sessions === 200);
  const peakOf = (run: PeerRun | undefined, of: Load[], field: "peakRssBytes" | "pssBytes") => {
    const values = of.map((load) => run?.results[load.id]?.[field] ?? null).filter((v) => v !== null);
    return values.length ? Math.max(...values) : null;
  };
  line(
    "Memory. One-process servers: the resident set (RSS) before any mail, its peak during the runs of " +
      "the reused-connection loads and of the 200-session loads (the kernel's high-water mark, reset before " +
      `each run), and at rest ${report.idleSeconds} s after all the loads. Postfix is up to hundreds of ` +
      "processes sharing their code: instead of a peak, the sum of their proportional sets (PSS) right after those runs, while " +
      "the smtpd processes of the sessions still wait for their next client:",
  );
  line();
  line(
    "| server | before any mail | 20 sessions, reused connections | 200 sessions | at rest after the loads |",
  );
  line("| --- | ---: | ---: | ---: | ---: |");
  for (const run of measured) {
    if (!run) continue;
    if (run === postfix) {
      line(
        `| ${run.name} (PSS of all its processes) | — | ${megabytes(peakOf(run, reusedLoads, "pssBytes"))} | ` +
          `${megabytes(peakOf(run, newLoads, "pssBytes"))} | — |`,
      );
      continue;
    }
    line(
      `| ${run.name} | ${megabytes(run.rssAtStartBytes)} | ${megabytes(peakOf(run, reusedLoads, "peakRssBytes"))} | ` +
        `${megabytes(peakOf(run, newLoads, "peakRssBytes"))} | ${megabytes(run.rssIdleBytes)} |`,
    );
  }
  line();
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
    `| ${POSTFIX} | Debian's Postfix, a private instance (own main.cf/master.cf, queue and data directories in ` +
      "the work folder; master, smtpd, cleanup, qmgr, trivial-rewrite, virtual, postlogd…): smtpd looks the " +
      "recipient up in `virtual_mailbox_maps`, cleanup writes and fsyncs the queue file before the `250` (Postfix's " +
      "default durability); qmgr then has `virtual` write it to the Maildir (temp file, fsync, rename into " +
      "`new/`). No checks (no SPF, DKIM, DMARC, DNS lookups or restrictions), no postscreen; log to a file " +
      "through postlogd |",
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
  line(
    "Issue 12, item 5: the agent, with all its checks and its journal, against Postfix with its queue and " +
      "Maildir delivery, on each of the four loads; and the agent's memory.",
  );
  line();
  line("| target | goal | measured | met |");
  line("| --- | --- | --- | --- |");
  const verdicts: boolean[] = [];
  const verdict = (met: boolean) => {
    verdicts.push(met);
    return met ? "yes" : "**no**";
  };
  for (const load of report.loads) {
    const a = agent?.results[load.id];
    const p = postfix?.results[load.id];
    const value = ratio(a, p);
    line(
      `| agent / Postfix, ${load.label} | ≥ ${POSTFIX_TARGET.toFixed(1)}× | ${times(value)} ` +
        `(${rate(a)} against ${rate(p)} msgs/s) | ${verdict(Number.isFinite(value) && value >= POSTFIX_TARGET)} |`,
    );
  }
  const idle = [agent?.rssAtStartBytes ?? null, agent?.rssIdleBytes ?? null];
  const idleKnown = idle.filter((value): value is number => value !== null);
  line(
    `| agent RSS at rest | ≤ ${megabytes(RSS_GOAL_BYTES)} | ${megabytes(idle[0])} before any mail, ` +
      `${megabytes(idle[1])} after the loads | ` +
      `${verdict(idleKnown.length === 2 && idleKnown.every((value) => value <= RSS_GOAL_BYTES))} |`,
  );
  const underLoad = peakOf(agent, newLoads, "peakRssBytes");
  line(
    `| agent RSS under the 200-session load | ≤ ${megabytes(RSS_GOAL_BYTES)} | ${megabytes(underLoad)} (peak) | ` +
      `${verdict(underLoad !== null && underLoad <= RSS_GOAL_BYTES)} |`,
  );
  line();
  line(
    verdicts.every(Boolean)
      ? "All targets are met."
      : `${verdicts.filter((met) => !met).length} of ${verdicts.length} targets are **not met**.`,
  );
  line();
  line("CPU per message of the agent and of Postfix (ms, from the table above):");
  line();
  line("| load | agent | Postfix | agent / Postfix |");
  line("| --- | ---: | ---: | ---: |");
  for (const load of report.loads) {
    const a = agent?.results[load.id];
    const p = postfix?.results[load.id];
    line(
      `| ${load.label} | ${cpuMs(a)} | ${cpuMs(p)} | ` +
        `${a && p ? times(a.cpuMsPerMessage / p.cpuMsPerMessage) : "—"} |`,
    );
  }
  line();
  line(
    "Not targets any more, for continuity: the agent against Haraka discarding every message (item 9's " +
      "former targets, ≥ 1.0× on reused connections and ≥ 0.5× on new ones) and against " +
      `${HARAKA_CHECKS}:`,
  );
  line();
  line(`| load | agent / Haraka | former target | agent / ${HARAKA_CHECKS} |`);
  line("| --- | ---: | ---: | ---: |");
  for (const load of report.loads) {
    const a = agent?.results[load.id];
    line(
      `| ${load.label} | ${times(ratio(a, haraka?.results[load.id]))} | ` +
        `≥ ${formerHarakaTarget(load).toFixed(1)}× | ${times(ratio(a, harakaChecks?.results[load.id]))} |`,
    );
  }
  line();

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
  if (report.postfixLog) {
    const log = report.postfixLog;
    line(
      `- Postfix's log: ${log.lines} lines; ` +
        (log.problems
          ? `${log.problems} warning, error, fatal or panic lines, the first: ` +
            log.firstProblems.map((each) => `\`${each}\``).join("; ")
          : "no warnings or errors."),
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
