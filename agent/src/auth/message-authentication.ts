// SPF, DKIM, DMARC and ARC of one inbound message, by mailauth's authenticate(), with every DNS lookup
// going through the agent's one resolver. The verdict is computed once per message and read by the
// `spf` and `dmarc` DATA rules (../smtp/rules) and by the Authentication-Results header we prepend.
//
// mailauth turns DNS errors into `temperror` results instead of throwing; what it cannot turn into a
// result (a bug, a lookup that never ends) rejects here after AUTHENTICATION_TIMEOUT_MS, and the rule
// engine answers 451 for it.
import { authenticate, type AuthenticateResult } from "mailauth";
import type { DnsResolver, RecordType } from "../dns/resolver";

/** Below the rule engine's own 10 s limit, so the rule that waits for us reports the timeout. */
export const AUTHENTICATION_TIMEOUT_MS = 9_000;

export type MessageAuthentication = AuthenticateResult;

/** What mailauth needs to know about one message; plain data, so it can be posted to a worker thread. */
export interface AuthenticationRequest {
  message: Uint8Array;
  /** Client IP as the socket saw it (an IPv4-mapped IPv6 address is fine). */
  ip: string;
  /** EHLO/HELO name; falls back to the IP. */
  helo: string | undefined;
  /** MAIL FROM; "" for the null sender (SPF then checks the HELO identity). */
  sender: string;
  /** Our host name: the authserv-id of the Authentication-Results header. */
  hostname: string;
  /** Row 10: verify ARC chains (DKIM itself is always verified, DMARC depends on it). */
  verifyArc: boolean;
}

/** Runs mailauth for one message (in a worker thread: ./authentication-pool). */
export interface Authenticator {
  authenticate(request: AuthenticationRequest): Promise<MessageAuthentication>;
}

export interface AuthenticateMessageOptions extends AuthenticationRequest {
  message: Buffer;
  resolver: DnsResolver;
  /** Where mailauth runs; in this thread when absent. */
  authenticator?: Authenticator | undefined;
  timeoutMs?: number;
}

export async function authenticateMessage(
  options: AuthenticateMessageOptions,
): Promise<MessageAuthentication> {
  const timeoutMs = options.timeoutMs ?? AUTHENTICATION_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`message authentication timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const request: AuthenticationRequest = {
    message: options.message,
    ip: options.ip,
    helo: options.helo,
    sender: options.sender,
    hostname: options.hostname,
    verifyArc: options.verifyArc,
  };
  try {
    return await Promise.race([
      options.authenticator
        ? options.authenticator.authenticate(request)
        : runMailauth(request, (name, rrtype) => options.resolver.resolve(name, rrtype)),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** mailauth's authenticate() with every lookup through `resolve` (the agent's one resolver). */
export function runMailauth(
  request: AuthenticationRequest,
  resolve: (name: string, rrtype: RecordType) => Promise<unknown>,
): Promise<MessageAuthentication> {
  return authenticate(
    Buffer.from(request.message.buffer, request.message.byteOffset, request.message.byteLength),
    {
      ip: request.ip,
      helo: request.helo || undefined,
      sender: request.sender,
      mta: request.hostname,
      resolver: (name, rrtype) => resolve(name, rrtype as RecordType) as Promise<string[][] | string[]>,
      disableArc: !request.verifyArc,
      // BIMI fetches logos over HTTPS: not a lockdown check, and no network access outside DNS.
      disableBimi: true,
    },
  );
}

export type SpfResult = "pass" | "fail" | "softfail" | "neutral" | "none" | "temperror" | "permerror";

const spfResults: readonly string[] = [
  "pass",
  "fail",
  "softfail",
  "neutral",
  "none",
  "temperror",
  "permerror",
];

/** The SPF result keyword of a verdict (recorded with queued mail to gate bounces, POLICY.md row 6). */
export function spfResultOf(authentication: MessageAuthentication): SpfResult {
  const result = authentication.spf ? authentication.spf.status.result : "none";
  return spfResults.includes(result) ? (result as SpfResult) : "none";
}

/**
 * The trace headers to prepend: Authentication-Results first (RFC 8601 §5: above every other trace
 * field), then Received-SPF. mailauth's lenient mode lists them the other way round.
 */
export function authenticationHeaders(authentication: MessageAuthentication): string {
  const fields = splitHeaderFields(authentication.headers);
  const isResults = (field: string) => /^authentication-results:/i.test(field);
  return [...fields.filter(isResults), ...fields.filter((field) => !isResults(field))].join("");
}

/**
 * Removes Authentication-Results fields that claim to come from us (RFC 8601 §5): a sender could
 * otherwise write "Authentication-Results: <our host>; dkim=pass" and have a mail client believe it.
 * Fields of other authserv-ids are kept, and the body is never touched.
 */
export function removeForgedResults(message: Buffer, hostname: string): Buffer {
  const headerEnd = findHeaderEnd(message);
  const header = message.subarray(0, headerEnd).toString("latin1");
  const fields = splitHeaderFields(header);
  const ours = hostname.toLowerCase();
  const kept = fields.filter((field) => {
    const match = /^authentication-results:\s*([^;\s]+)/i.exec(field);
    return !match || match[1]!.replace(/^"|"$/g, "").toLowerCase() !== ours;
  });
  if (kept.length === fields.length) return message;
  return Buffer.concat([Buffer.from(kept.join(""), "latin1"), message.subarray(headerEnd)]);
}

/** Header fields with their folded continuation lines and line endings, in order. */
function splitHeaderFields(header: string): string[] {
  const fields: string[] = [];
  for (const line of header.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  return fields;
}

/** Offset of the empty line that ends the header (the whole message when there is no body). */
function findHeaderEnd(message: Buffer): number {
  if (message.subarray(0, 2).toString("latin1") === "\r\n") return 0;
  if (message[0] === 0x0a) return 0;
  const crlf = message.indexOf("\r\n\r\n");
  const lf = message.indexOf("\n\n");
  const candidates = [crlf >= 0 ? crlf + 2 : -1, lf >= 0 ? lf + 1 : -1].filter((index) => index >= 0);
  return candidates.length > 0 ? Math.min(...candidates) : message.length;
}
