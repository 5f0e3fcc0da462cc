// Remote delivery of one message to the recipients of one destination domain, over one SMTP connection
// (nodemailer's SMTPConnection, not a hand-written client): MX hosts in preference order, each address
// until one answers; STARTTLS whenever the server offers it (opportunistic: certificates are not checked
// unless configured, and a failed handshake is retried once in plain text, as MTAs do). The answer is
// per recipient: delivered, failed (5xx) or deferred (4xx, or no server reachable).
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import type { DnsResolver } from "../dns/resolver";
import { addressesOf, DeliveryError, mailHostsFor } from "./mx";

export interface RemoteDeliverySettings {
  resolver: DnsResolver;
  /** EHLO name. */
  hostname: string;
  /** 25, except in tests. */
  port: number;
  connectTimeoutMs: number;
  socketTimeoutMs: number;
  /** Verify the server's certificate (off by default: opportunistic TLS still beats plain text). */
  verifyTls: boolean;
  logger: Logger;
  /** Aborting closes the connection (agent shutdown). */
  signal?: AbortSignal | undefined;
}

export interface RemoteDeliveryRequest {
  /** Queue id, for logs. */
  id: string;
  domain: string;
  /** "" for the null sender. */
  mailFrom: string;
  recipients: string[];
  message: Buffer;
  /** Send to this host (server role, row 25) instead of looking up the domain's MX; port null = usual. */
  relay?: { host: string; port: number | null } | undefined;
}

export type RecipientOutcome =
  | { address: string; outcome: "delivered"; response: string; remoteMta: string }
  | {
      address: string;
      outcome: "failed" | "deferred";
      response: string;
      status: string;
      remoteMta?: string | undefined;
    };

/** At most this many MX hosts and addresses per host are tried in one attempt. */
const MAX_HOSTS = 5;
const MAX_ADDRESSES_PER_HOST = 2;

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: SmtpError[];
  recipient?: string;
}

/** RFC 3463 status from a reply ("550 5.1.1 …"), else the class of its code. */
export function statusOf(response: string, fallbackCode?: number): string {
  const enhanced = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(response);
  if (enhanced) return enhanced[1]!;
  const code = Number(/^(\d)\d\d/.exec(response)?.[1] ?? String(fallbackCode ?? 4).charAt(0));
  return code === 5 ? "5.0.0" : "4.0.0";
}

function oneLine(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, " ")
    .trim()
    .slice(0, 500);
}

export async function deliverRemote(
  request: RemoteDeliveryRequest,
  settings: RemoteDeliverySettings,
): Promise<RecipientOutcome[]> {
  const all = (outcome: "failed" | "deferred", response: string, status: string, remoteMta?: string) =>
    request.recipients.map((address) => ({ address, outcome, response, status, remoteMta }));
  let hosts;
  try {
    hosts = request.relay
      ? [{ name: request.relay.host, priority: 0 }]
      : await untilAborted(mailHostsFor(settings.resolver, request.domain), settings.signal);
  } catch (error) {
    if (error instanceof DeliveryError) {
      return all(error.permanent ? "failed" : "deferred", error.message, error.status);
    }
    throw error;
  }
  let lastProblem = `451 4.4.1 no mail server of ${request.domain} answered`;
  for (const host of hosts.slice(0, MAX_HOSTS)) {
    let addresses: string[];
    try {
      addresses = await untilAborted(addressesOf(settings.resolver, host.name), settings.signal);
    } catch (error) {
      lastProblem = (error as Error).message;
      continue;
    }
    if (addresses.length === 0) {
      if (host.implicit) return all("failed", `550 5.1.2 ${request.domain} has no mail server`, "5.1.2");
      lastProblem = `451 4.4.3 mail server ${host.name} has no address`;
      continue;
    }
    for (const address of addresses.slice(0, MAX_ADDRESSES_PER_HOST)) {
      if (settings.signal?.aborted) return all("deferred", "451 4.3.2 agent shutting down", "4.3.2");
      const mta = `${host.name} [${address}]`;
      const port = request.relay?.port ?? settings.port;
      let connection = await openConnection(settings, host.name, address, port, true);
      if ("error" in connection && connection.error.code === "ETLS") {
        settings.logger.info(
          { id: request.id, mta, err: connection.error.message },
          "STARTTLS failed; retrying in plain text",
        );
        connection = await openConnection(settings, host.name, address, port, false);
      }
      if ("error" in connection) {
        lastProblem = `451 4.4.1 ${mta}: ${oneLine(connection.error.message)}`;
        settings.logger.info({ id: request.id, mta, err: connection.error.message }, "connection failed");
        continue;
      }
      return transact(request, connection.smtp, mta, settings);
    }
  }
  return all("deferred", lastProblem, statusOf(lastProblem));
}

/** A DNS lookup is not cancellable: on shutdown stop waiting for it (a deferral, tried again after restart). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(shutdownError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(shutdownError());
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function shutdownError(): DeliveryError {
  return new DeliveryError("451 4.3.2 agent shutting down", false, "4.3.2");
}

async function openConnection(
  settings: RemoteDeliverySettings,
  hostName: string,
  address: string,
  port: number,
  useTls: boolean,
): Promise<{ smtp: SMTPConnection } | { error: SmtpError }> {
  const smtp = new SMTPConnection({
    host: address,
    port,
    name: settings.hostname,
    ...(hostName !== address && { servername: hostName }),
    ignoreTLS: !useTls,
    opportunisticTLS: true,
    tls: { rejectUnauthorized: settings.verifyTls, minVersion: "TLSv1.2" },
    connectionTimeout: settings.connectTimeoutMs,
    greetingTimeout: settings.connectTimeoutMs,
    socketTimeout: settings.socketTimeoutMs,
    socketCloseTimeout: 1000,
    allowInternalNetworkInterfaces: true,
    logger: false,
  });
  // errors also reach the callbacks below; without a listener an 'error' event would throw
  smtp.on("error", () => undefined);
  const abort = () => smtp.close();
  settings.signal?.addEventListener("abort", abort, { once: true });
  smtp.once("end", () => settings.signal?.removeEventListener("abort", abort));
  try {
    await new Promise<void>((resolve, reject) => {
      smtp.once("error", reject);
      smtp.connect(() => {
        smtp.off("error", reject);
        resolve();
      });
    });
    return { smtp };
  } catch (error) {
    smtp.close();
    settings.signal?.removeEventListener("abort", abort);
    return { error: error as SmtpError };
  }
}

async function transact(
  request: RemoteDeliveryRequest,
  smtp: SMTPConnection,
  mta: string,
  settings: RemoteDeliverySettings,
): Promise<RecipientOutcome[]> {
  const socket = smtp._socket as TLSSocket | false | null;
  const tls = smtp.secure && socket && typeof socket.getProtocol === "function" ? socket.getProtocol() : null;
  const log = { id: request.id, domain: request.domain, mta, tls };
  let info: SMTPConnection.SentMessageInfo;
  try {
    info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => {
      // a connection that ends (the server hung up, or shutdown closed it) before the reply never calls
      // back: without this the attempt, and the agent's stop(), would wait forever
      smtp.once("end", () => reject(new Error("connection closed before the server replied")));
      smtp.send(
        { from: request.mailFrom, to: request.recipients, size: request.message.length },
        request.message,
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
  } catch (error) {
    smtp.close();
    const failure = error as SmtpError;
    settings.logger.info({ ...log, err: oneLine(failure.message) }, "remote delivery not accepted");
    // every recipient refused at RCPT: each has its own reply; otherwise one reply (MAIL, DATA, a
    // dropped connection) applies to them all
    const byRecipient = new Map(
      (failure.rejectedErrors ?? []).map((refusal) => [refusal.recipient ?? "", refusal]),
    );
    return request.recipients.map((address) =>
      refusalOutcome(address, byRecipient.get(address) ?? failure, mta),
    );
  }
  smtp.quit();
  settings.logger.info({ ...log, response: oneLine(info.response) }, "remote server accepted the message");
  const rejected = new Map((info.rejectedErrors ?? []).map((error) => [error.recipient ?? "", error]));
  return request.recipients.map((address): RecipientOutcome => {
    const refusal = rejected.get(address);
    if (!refusal) return { address, outcome: "delivered", response: oneLine(info.response), remoteMta: mta };
    return refusalOutcome(address, refusal, mta);
  });
}

function refusalOutcome(address: string, error: SmtpError, mta: string): RecipientOutcome {
  const response = oneLine(error.response ?? error.message);
  if (error.responseCode && error.responseCode >= 500) {
    return { address, outcome: "failed", response, status: statusOf(response, 5), remoteMta: mta };
  }
  const text = error.responseCode ? response : `451 4.4.2 ${mta}: ${response}`;
  return { address, outcome: "deferred", response: text, status: statusOf(text, 4), remoteMta: mta };
}
