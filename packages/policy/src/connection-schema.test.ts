// Rows 15-17 and 19 as an admin edits them: which IP list entries validate, and which changes count as
// loosening (asked to confirm, refused under a provider lock).
import { describe, expect, it } from "vitest";
import { defaultPolicy, isLoosening } from "./catalogue";
import { parseIpNetwork } from "./connection-schema";
import { policySchema } from "./schema";

describe("IP list entries", () => {
  it.each([
    ["203.0.113.7", { address: "203.0.113.7", prefix: 32, family: "ipv4" }],
    ["198.51.100.0/24", { address: "198.51.100.0", prefix: 24, family: "ipv4" }],
    ["2001:db8::/32", { address: "2001:db8::", prefix: 32, family: "ipv6" }],
    ["::1", { address: "::1", prefix: 128, family: "ipv6" }],
    ["::ffff:192.0.2.1", { address: "::ffff:192.0.2.1", prefix: 128, family: "ipv6" }],
  ])("accepts %s", (value, parsed) => {
    expect(parseIpNetwork(value)).toEqual(parsed);
  });

  it.each([
    "256.1.1.1",
    "10.0.0.0/33",
    "10.0.0",
    "2001:db8::1::2",
    "1:2:3:4:5:6:7:8:9",
    "host.test",
    "10.0.0.0/8/8",
  ])("refuses %s", (value) => {
    expect(parseIpNetwork(value)).toBeNull();
  });

  it("a whitelist entry must name what it skips, and can never skip authentication", () => {
    const entry = { network: "192.0.2.10", reason: "partner MX", expiresAt: null };
    expect(policySchema.safeParse({ ...defaultPolicy, ipWhitelist: [{ ...entry, skips: [] }] }).success).toBe(
      false,
    );
    expect(
      policySchema.safeParse({ ...defaultPolicy, ipWhitelist: [{ ...entry, skips: ["auth"] }] }).success,
    ).toBe(false);
    expect(
      policySchema.safeParse({ ...defaultPolicy, ipWhitelist: [{ ...entry, skips: ["dnsbl"] }] }).success,
    ).toBe(true);
  });
});

describe("loosening", () => {
  const blocked = { network: "203.0.113.0/24", reason: "spam run", expiresAt: null };

  it("removing or shortening a blacklist entry loosens; adding one does not", () => {
    expect(isLoosening("ipBlacklist", [], [blocked])).toBe(false);
    expect(isLoosening("ipBlacklist", [blocked], [])).toBe(true);
    expect(isLoosening("ipBlacklist", [blocked], [{ ...blocked, expiresAt: "2030-01-01T00:00:00Z" }])).toBe(
      true,
    );
  });

  it("a whitelist entry or a new skip loosens; dropping one does not", () => {
    const trusted = { network: "192.0.2.10", reason: "partner", expiresAt: null, skips: ["dnsbl" as const] };
    expect(isLoosening("ipWhitelist", [], [trusted])).toBe(true);
    expect(isLoosening("ipWhitelist", [trusted], [{ ...trusted, skips: ["dnsbl", "rdns"] }])).toBe(true);
    expect(isLoosening("ipWhitelist", [trusted], [])).toBe(false);
  });

  it("raising a connection limit, dropping a blocklist or weakening the rDNS check loosens", () => {
    const limits = defaultPolicy.connectionLimits;
    expect(isLoosening("connectionLimits", limits, { ...limits, maxPerIp: 20 })).toBe(true);
    expect(isLoosening("connectionLimits", limits, { ...limits, maxNewPerIpPerMinute: 30 })).toBe(false);
    expect(isLoosening("dnsBlocklists", true, false)).toBe(true);
    expect(isLoosening("dnsBlocklistZones", ["zen.spamhaus.org"], [])).toBe(true);
    expect(isLoosening("rdnsCheck", "tag", "reject")).toBe(false);
    expect(isLoosening("rdnsCheck", "tag", "off")).toBe(true);
  });
});
