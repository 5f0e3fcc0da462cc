// bench/RESULTS-logs.md from one run of bench/logs.ts: machine, date and commit, the three measurements of
// issue 13 item 7 with their raw figures, and the `## Targets` table. The hand-written notes between the
// markers of the previous file are carried over, so a re-run keeps the team's analysis.
import { existsSync, readFileSync } from "node:fs";
import type { IngestTurn } from "./log-ingest";
import type { Timing } from "./log-search";

export const NOTES_START = "<!-- notes:start (hand-written; kept when the benchmark is re-run) -->";
export const NOTES_END = "<!-- notes:end -->";

export interface SmtpComparison {
  load: string;
  detailed: number;
  off: number;
  detailedRuns: number[];
  offRuns: number[];
}

export interface LogsReport {
  date: string;
  commit: string;
  machine: string;
  postgres: string;
  quick: boolean;
  totalSeconds: number;
  ingest: { agents: number; recordsPerAgent: number; turns: IngestTurn[] } | null;
  search: {
    records: number;
    servers: number;
    domains: number;
    days: number;
    seedSeconds: number;
    timings: Timing[];
  } | null;
  smtp: SmtpComparison[] | null;
}

/** The nearest-rank percentile (p in 0–100). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const best = (turns: IngestTurn[], side: IngestTurn["side"]) =>
  Math.max(...turns.filter((turn) => turn.side === side).map((turn) => turn.perSecond));
const n = (value: number) => Math.round(value).toLocaleString("en");
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const ratio = (value: number) => `${value.toFixed(2)}×`;

function previousNotes(file: string): string {
  if (!existsSync(file)) return "_None yet._";
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(NOTES_START);
  const end = text.indexOf(NOTES_END);
  return start >= 0 && end > start ? text.slice(start + NOTES_START.length, end).trim() : "_None yet._";
}

export function renderLogsReport(report: LogsReport, previousFile: string): string {
  const out: string[] = [];
  const line = (text = "") => out.push(text);
  const targets: [string, string, string, boolean][] = [];

  line("# Mailwarden mail-log benchmark — results");
  line();
  line(
    `Written by \`node --import tsx bench/logs.ts\` (see [README.md](README.md)) on ${report.date.slice(0, 16).replace("T", " ")} UTC at commit ${report.commit}; the run took ${Math.round(report.totalSeconds)} s.` +
      (report.quick ? " **Quick mode: small sizes, figures are rough.**" : ""),
  );
  line();
  line("## Machine");
  line();
  line(`- ${report.machine}`);
  line(`- PostgreSQL ${report.postgres}`);
  line();

  if (report.ingest) {
    const { turns } = report.ingest;
    const hub = best(turns, "hub");
    const copy = best(turns, "copy");
    line("## (a) Ingest: agents through the hub against a raw COPY");
    line();
    line(
      `${report.ingest.agents} simulated agents, ${n(report.ingest.recordsPerAgent)} records each (${n(report.ingest.agents * report.ingest.recordsPerAgent)} in all, batches of 500, 4 in flight per agent, a real WebSocket each) through the hub (packages/hub in a process of its own, storing with \`storeMailLogBatch\`, acknowledging after commit) into \`MailLogRecord\`; against the same rows, stamped as the ingest stamps them, sent by one \`COPY … FROM STDIN\` into the same table. The table is emptied before each turn; turns alternate and the best of each side counts.`,
    );
    line();
    line("| turn | side | records | seconds | records/s |");
    line("| ---: | ---- | ------: | ------: | --------: |");
    turns.forEach((turn, index) =>
      line(
        `| ${index + 1} | ${turn.side === "hub" ? "through the hub" : "raw COPY"} | ${n(turn.records)} | ${turn.seconds.toFixed(2)} | ${n(turn.perSecond)} |`,
      ),
    );
    line();
    line(`Best: through the hub ${n(hub)}/s, raw COPY ${n(copy)}/s: **${ratio(hub / copy)}**.`);
    line();
    targets.push(["ingest through the hub / raw COPY", "≥ 0.8×", ratio(hub / copy), hub / copy >= 0.8]);
  }

  if (report.search) {
    const s = report.search;
    line("## (b) Search");
    line();
    line(
      `${n(s.records)} records over ${n(s.servers)} servers and ${n(s.domains)} domains, spread evenly over ${s.days} day partitions (seeded in ${Math.round(s.seedSeconds)} s), searched through the console's own service (\`searchMailLog\`, the Logs page's first page of 50, newest first) — as a provider admin, and for "a domain's last hour" and the second recipient search as a customer admin, whose searches carry their tenant's scope. One warm-up search each, then the searches timed one after the other, each for another address, IP, queue id or domain.`,
    );
    line();
    line("| search | searches | rows found | p50 | p95 | max |");
    line("| ------ | -------: | ---------: | --: | --: | --: |");
    for (const timing of s.timings) {
      line(
        `| ${timing.name} | ${timing.samples.length} | ${n(timing.rows)} | ${ms(percentile(timing.samples, 50))} | ${ms(percentile(timing.samples, 95))} | ${ms(Math.max(...timing.samples))} |`,
      );
    }
    line();
    for (const timing of s.timings.filter((t) => !t.name.includes("customer admin"))) {
      const p95 = percentile(timing.samples, 95);
      targets.push([`search p95, ${timing.name}`, "≤ 200 ms", ms(p95), p95 <= 200 && timing.rows > 0]);
    }
  }

  if (report.smtp) {
    line("## (c) The agent's SMTP throughput, mail log detailed against off");
    line();
    line(
      "`bash bench/run.sh --only agent,'agent (mail log off)'`: two agents started side by side from the same settings, one with the default policy (`smtpLogLevel` and `deliveryLogLevel` `detailed`: every record spooled and fsynced within a second; no hub, so the spool keeps them) and one with both `off`, taking turns under the same smtp-source loads (best of the turns).",
    );
    line();
    line("| load | detailed, msgs/s | off, msgs/s | detailed / off |");
    line("| ---- | ---------------: | ----------: | -------------: |");
    for (const c of report.smtp) {
      line(
        `| ${c.load} | ${n(c.detailed)} (${c.detailedRuns.map(n).join(", ")}) | ${n(c.off)} (${c.offRuns.map(n).join(", ")}) | ${ratio(c.detailed / c.off)} |`,
      );
      targets.push([
        `SMTP with the mail log detailed / off, ${c.load}`,
        "≥ 0.9×",
        ratio(c.detailed / c.off),
        c.detailed / c.off >= 0.9,
      ]);
    }
    line();
  }

  line("## Notes");
  line();
  line(NOTES_START);
  line();
  line(previousNotes(previousFile));
  line();
  line(NOTES_END);
  line();
  line("## Targets");
  line();
  line("From issue 13, item 7; a target not measured in this run is not met.");
  line();
  if (!report.ingest) targets.unshift(["ingest through the hub / raw COPY", "≥ 0.8×", "not measured", false]);
  if (!report.search) targets.push(["search p95 (four searches)", "≤ 200 ms", "not measured", false]);
  if (!report.smtp) targets.push(["SMTP with the mail log detailed / off", "≥ 0.9×", "not measured", false]);
  line("| target | goal | measured | met |");
  line("| ------ | ---- | -------- | --- |");
  for (const [target, goal, measured, met] of targets)
    line(`| ${target} | ${goal} | ${measured} | ${met ? "yes" : "no"} |`);
  line();
  return out.join("\n");
}
