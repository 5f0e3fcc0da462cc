// The Received: trace header (RFC 5321 §4.4) added to every accepted message, so a reader can see where
// it came from, over what, and when.
import type { SMTPServerSession } from "smtp-server";

export function receivedHeader(options: {
  session: SMTPServerSession;
  hostname: string;
  id: string;
  /** Negotiated protocol (TLSSocket.getProtocol()), null for a plain session. */
  tlsProtocol: string | null;
  recipient?: string;
  date?: Date;
}): string {
  const { session } = options;
  const helo = session.hostNameAppearsAs || "unknown";
  const lines = [
    `Received: from ${helo} ([${session.remoteAddress}])`,
    `\tby ${options.hostname} (Mailwarden) with ${session.transmissionType || "SMTP"} id ${options.id}`,
  ];
  if (session.tlsOptions) {
    lines.push(`\t(using ${options.tlsProtocol ?? "TLS"} with cipher ${session.tlsOptions.name})`);
  }
  const recipient = options.recipient ? `for <${options.recipient}>` : "";
  lines.push(`\t${recipient}${recipient ? "; " : ""}${rfc5322Date(options.date ?? new Date())}`);
  return lines.join("\r\n") + "\r\n";
}

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function rfc5322Date(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return (
    `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
