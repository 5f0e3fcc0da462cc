// SPF, DKIM, DMARC and ARC of one inbound message, by mailauth's authenticate(), with every DNS lookup
// going through the agent's one resolver. The verdict is computed once per message and read by the
// `spf` and `dmarc` DATA rules (../smtp/rules) and by the Authentication-Results header we prepend.
//
// mailauth runs in its strict mode: each check follows its RFC exactly. The lenient default evaluates an
// SPF record only up to the matching term, so a record broken after it (a bad CIDR, a second `exp=`)
// passes instead of giving permerror, and a record with leading space is used instead of being no record;
// it counts rsa-sha1 DKIM signatures (RFC 8301: not valid) towards DMARC. Strict mode also writes the
// headers as RFC 8601 asks: Authentication-Results above Received-SPF, only the identity SPF checked
// (`smtp.mailfrom=<domain>`, the local-part only when the record used it). Its one new failure, an
// authserv-id that is not a token, is ruled out by the settings' check of `hostname`.
//
// Time: the rule engine waits 10 s for a rule, so the whole authentication gets AUTHENTICATION_TIMEOUT_MS
// and every DNS answer it waits for must arrive by AUTHENTICATION_DNS_DEADLINE_MS after it starts; a
// lookup still open then, or asked later, fails at once with ETIMEOUT. mailauth turns that into the
// check's own temperror (SPF, DKIM, DMARC alike), so the policy decides: "tag" delivers with the
// temperror in the header, "reject-fail" / "honor-policy" tempfail with their own 451, and an SPF `fail`
// whose `exp=` explanation lookup times out is still a fail. One lookup alone gives up sooner
// (DNS_LOOKUP_TIMEOUT_MS, ../dns/resolver.ts), so a dead DNS server costs the DKIM key, SPF and DMARC
// lookups one timeout each and all three still end before the deadline. Only what is not a DNS wait (a
// bug, a thread that hangs) meets the cap and gets the rule engine's blanket 451.
import { authenticate, type AuthenticateResult } from "mailauth";
import { timeoutError, withinLimit, type DnsResolver, type RecordType } from "../dns/resolver";

/** Below the rule engine's own 10 s limit, so the rule that waits for us reports the timeout. */
export const AUTHENTICATION_TIMEOUT_MS = 9_000;
/** Left for mailauth to finish the verdict after the last DNS answer. */
const VERDICT_MARGIN_MS = 1_000;
/**
 * Every DNS answer of one message's checks arrives by then (after the authentication starts). Three
 * lookups timing out one after another (DKIM key, SPF record, DMARC record: 3 x DNS_LOOKUP_TIMEOUT_MS)
 * fit in it; message-authentication.test.ts holds the two constants to that.
 */
export const AUTHENTICATION_DNS_DEADLINE_MS = AUTHENTICATION_TIMEOUT_MS - VERDICT_MARGIN_MS;

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
  /** Epoch ms on the main thread's clock: a DNS answer not in by then counts as a timeout. */
  dnsDeadline: number;
}

/** Runs mailauth for one message (in a worker thread: ./authentication-pool). */
export interface Authenticator {
  authenticate(request: AuthenticationRequest): Promise<MessageAuthentication>;
}

export interface AuthenticateMessageOptions extends Omit<AuthenticationRequest, "dnsDeadline"> {
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
    dnsDeadline: Date.now() + timeoutMs - VERDICT_MARGIN_MS,
  };
  try {
    return await Promise.race([
      options.authenticator
        ? options.authenticator.authenticate(request)
        : runMailauth(request, (name, rrtype) =>
            resolveBefore(request.dnsDeadline, () => options.resolver.resolve(name, rrtype), name),
          ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One lookup of a message's checks: its answer, or ETIMEOUT once `deadline` (epoch ms) passes — at once
 * when it already has. Used where the lookup is made: here, or for a worker thread's question on the main
 * thread (./authentication-pool), so one clock decides.
 */
export function resolveBefore<T>(deadline: number, lookup: () => Promise<T>, name: string): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) {
    return Promise.reject(timeoutError(`DNS lookup ${name}: the message's authentication deadline passed`));
  }
  return withinLimit(lookup(), left, name);
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
      strict: true,
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
