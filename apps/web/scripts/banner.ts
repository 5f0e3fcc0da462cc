// What `npm start` prints once everything is up: the console's address, the one-time setup link while no
// admin exists, the demo agent's listeners, and — last, so they are easy to find — the demo mailbox and
// its password. Operational logs go through pino (readable on a terminal); this is the one plain block.
import type { Listener } from "@mailwarden/db";
import type { DemoPorts } from "./demo";

const listenerLines: { key: Listener; port: keyof DemoPorts; label: string; note: string }[] = [
  { key: "INBOUND", port: "inbound", label: "SMTP inbound", note: "STARTTLS" },
  { key: "SUBMISSION", port: "submission", label: "SMTP submission", note: "STARTTLS + AUTH" },
  { key: "SUBMISSION_TLS", port: "submissionTls", label: "SMTP submission TLS", note: "implicit TLS + AUTH" },
  { key: "POP3", port: "pop3", label: "POP3", note: "STLS" },
  { key: "POP3S", port: "pop3s", label: "POP3 over TLS", note: "implicit TLS" },
];

export interface StartBannerInfo {
  consoleUrl: string;
  /** The one-time link that creates the first provider admin; null once one exists. */
  setupUrl: string | null;
  agent: {
    ports: DemoPorts;
    /** The demo server's Listeners setting: the agent opens exactly these. */
    listeners: Listener[];
    logFile: string;
    isConnected: boolean;
  } | null;
  mailbox: { address: string; password: string | null; passwordFile: string } | null;
}

export function startBanner(info: StartBannerInfo): string {
  const row = (label: string, value: string) => `  ${label.padEnd(14)}${value}`;
  const lines = ["", "  Mailwarden is running. Ctrl-C stops it.", "", row("Console", info.consoleUrl)];
  if (info.setupUrl) {
    lines.push(row("First admin", info.setupUrl), row("", "(one-time link: create the provider admin)"));
  }
  if (info.agent) {
    const { agent } = info;
    lines.push("", row("Demo agent", `log: ${agent.logFile}`));
    if (!agent.isConnected) lines.push(row("", "has not connected to the console yet: see its log"));
    const open = listenerLines.filter((listener) => agent.listeners.includes(listener.key));
    for (const listener of open) {
      lines.push(
        `    ${listener.label.padEnd(22)}127.0.0.1:${String(agent.ports[listener.port]).padEnd(7)}${listener.note}`,
      );
    }
    if (open.length === 0) lines.push("    no listeners: all are turned off on the server's page");
    lines.push(
      row("", "(self-signed certificate; the server's page in the console turns listeners on and off)"),
    );
  }
  if (info.mailbox) {
    lines.push("", row("Demo mailbox", info.mailbox.address));
    lines.push(
      row(
        "Password",
        info.mailbox.password ??
          `not the one set at first start any more (${info.mailbox.passwordFile}): set one in the console`,
      ),
    );
  }
  lines.push("");
  return lines.join("\n");
}
