// Every DNS lookup the agent makes (MX, A/AAAA, SPF/DKIM/DMARC TXT, PTR, blocklists) goes through this
// one resolver, built from the settings' `dnsServers` (e.g. ["127.0.0.1:5353"] in tests) or the host's
// resolv.conf. Its `resolve(name, rrtype)` has the dns.promises shape that mailauth's `resolver` option
// expects, so SPF, DKIM, DMARC and ARC use the same path as delivery.
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
}

export interface DnsResolverOptions {
  servers?: readonly string[];
  timeoutMs?: number;
  tries?: number;
}

export function createDnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 5000, tries: options.tries ?? 2 });
  if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
  return {
    servers: options.servers ?? [],
    resolve: (name, rrtype) => resolver.resolve(name, rrtype),
    resolveMx: (name) => resolver.resolveMx(name),
    resolveTxt: (name) => resolver.resolveTxt(name),
    resolve4: (name) => resolver.resolve4(name),
    resolve6: (name) => resolver.resolve6(name),
    reverse: (ip) => resolver.reverse(ip),
  };
}
