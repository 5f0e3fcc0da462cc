// Every DNS lookup the agent makes (MX, A/AAAA, SPF/DKIM/DMARC TXT, PTR, blocklists) goes through this
// one resolver, built from the settings' `dnsServers` (e.g. ["127.0.0.1:5353"] in tests) or the host's
// resolv.conf. Its `resolve(name, rrtype)` has the dns.promises shape that mailauth's `resolver` option
// expects, so SPF, DKIM, DMARC and ARC use the same path as delivery.
//
// Answers are cached, as every MTA's stub resolver (or the local unbound next to it) does: a repeat
// sender's SPF, DKIM key and DMARC record cost a map read instead of three to four queries per message.
// Node's resolver does not report TTLs for TXT or MX, so the cache keeps an answer for at most
// `cacheSeconds` (default 60, shorter than the TTL of nearly every published record): a record changed
// in DNS reaches the agent within a minute. "No such name" and "no such record" answers are cached the
// same way (RFC 2308 negative caching); timeouts and server failures never are, so a DNS outage is
// retried on the next message. Identical lookups in flight share one query.
//
// A lookup that gets no answer gives up after `timeoutMs` (DNS_LOOKUP_TIMEOUT_MS), retries included, with
// ETIMEOUT — mailauth's "temperror". The limit is our own timer, not c-ares's: Node drives c-ares's
// timeouts from a one-second timer and c-ares adapts them to the server's latency, so its 5 s x 2 tries
// took 13 s here and 1 s x 1 took 2 s. A message's checks make up to three lookups one after another
// (DKIM key, SPF record, DMARC record); three timeouts in a row must fit in the authentication's cap
// (../auth/message-authentication.ts), which then still ends each check in its own result.
import { promises as dns } from "node:dns";

export type RecordType = "A" | "AAAA" | "MX" | "TXT" | "PTR" | "CNAME" | "NS";

export interface DnsResolver {
  /** dns.promises.Resolver#resolve semantics: rejects with ENOTFOUND / ENODATA / ETIMEOUT codes. */
  resolve(name: string, rrtype: RecordType): Promise<unknown>;
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
  resolveTxt(name: string): Promise<string[][]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  reverse(ip: string): Promise<string[]>;
  /** The servers in use, for logs and posture ([] = the system's). */
  servers: readonly string[];
  /**
   * Until when (epoch ms) the cache keeps the answer `resolve(name, rrtype)` just gave; 0 when it is
   * not cached. The authentication threads keep their copy exactly that long.
   */
  cachedUntil?(name: string, rrtype: RecordType): number;
}

/** One answer's key in a cache (this resolver's, and the authentication threads' copies of it). */
export function answerKey(name: string, rrtype: RecordType): string {
  return `${rrtype} ${name.toLowerCase()}`;
}

/** The longest one lookup waits for its answer, every try included (default of `timeoutMs`). */
export const DNS_LOOKUP_TIMEOUT_MS = 2_500;

export interface DnsResolverOptions {
  servers?: readonly string[];
  /** How long one lookup waits, its retry included; then it fails with ETIMEOUT. */
  timeoutMs?: number;
  /** Queries sent per lookup within `timeoutMs` (default 2: one retry). */
  tries?: number;
  /** How long an answer (or a "does not exist") is reused; 0 turns the cache off. */
  cacheSeconds?: number;
}

/** Answers that say "this does not exist": as cacheable as a record. */
const negativeCodes = new Set(["ENOTFOUND", "ENODATA"]);
/** Entries kept at most; the oldest go first, so a flood of distinct names cannot grow memory. */
const MAX_CACHED = 10_000;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface CacheEntry {
  expiresAt: number;
  outcome: Outcome;
}

export function createDnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const timeoutMs = options.timeoutMs ?? DNS_LOOKUP_TIMEOUT_MS;
  const tries = options.tries ?? 2;
  // c-ares resends after a share of the limit; our timer below is what ends the lookup on time
  const resolver = new dns.Resolver({ timeout: Math.max(1, Math.floor(timeoutMs / tries)), tries });
  if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
  const cacheMs = (options.cacheSeconds ?? 60) * 1000;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<Outcome>>();

  function lookup(key: string, query: () => Promise<unknown>): Promise<unknown> {
    const now = Date.now();
    const cached = cache.get(key);
    if (cached && cached.expiresAt > now) return settle(cached.outcome);
    if (cached) cache.delete(key);
    let pending = inFlight.get(key);
    if (!pending) {
      pending = query().then(
        (value): Outcome => ({ ok: true, value }),
        (error: unknown): Outcome => ({ ok: false, error }),
      );
      const started = pending;
      inFlight.set(key, started);
      void started.then((outcome) => {
        inFlight.delete(key);
        if (cacheMs > 0 && isCacheable(outcome)) remember(key, outcome);
      });
    }
    return pending.then(settle);
  }

  function remember(key: string, outcome: Outcome): void {
    cache.set(key, { expiresAt: Date.now() + cacheMs, outcome });
    if (cache.size > MAX_CACHED) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
  }

  const resolve = (name: string, rrtype: RecordType) =>
    lookup(answerKey(name, rrtype), () =>
      withinLimit(resolver.resolve(name, rrtype), timeoutMs, `${rrtype} ${name}`),
    );

  return {
    servers: options.servers ?? [],
    resolve,
    resolveMx: (name) => resolve(name, "MX") as Promise<{ exchange: string; priority: number }[]>,
    resolveTxt: (name) => resolve(name, "TXT") as Promise<string[][]>,
    resolve4: (name) => resolve(name, "A") as Promise<string[]>,
    resolve6: (name) => resolve(name, "AAAA") as Promise<string[]>,
    reverse: (ip) =>
      lookup(`reverse ${ip}`, () => withinLimit(resolver.reverse(ip), timeoutMs, `PTR of ${ip}`)) as Promise<
        string[]
      >,
    cachedUntil: (name, rrtype) => cache.get(answerKey(name, rrtype))?.expiresAt ?? 0,
  };
}

/**
 * `query`, or an ETIMEOUT error (the code c-ares gives, which mailauth reads as temperror) once `ms` pass.
 * c-ares keeps its query until its own timeout; nobody waits for it.
 */
export function withinLimit<T>(query: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(`DNS lookup ${what}: no answer within ${ms} ms`)), ms);
  });
  query.catch(() => undefined);
  return Promise.race([query, timeout]).finally(() => clearTimeout(timer));
}

/** The error a lookup without an answer ends in, shaped as c-ares's own: `code` ETIMEOUT. */
export function timeoutError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: "ETIMEOUT" });
}

function isCacheable(outcome: Outcome): boolean {
  if (outcome.ok) return true;
  return negativeCodes.has((outcome.error as NodeJS.ErrnoException | undefined)?.code ?? "");
}

/** Each caller gets its own copy: a caller that changes an answer must not change the cache. */
function settle(outcome: Outcome): Promise<unknown> {
  return outcome.ok ? Promise.resolve(structuredClone(outcome.value)) : Promise.reject(outcome.error);
}
