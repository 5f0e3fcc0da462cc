// Inheritance as an admin expects it: the nearest level that sets a key wins, levels can only set the
// keys their catalogue entry allows, and every value says where it came from.
import { describe, expect, it } from "vitest";
import { defaultPolicy } from "./catalogue";
import { keysAllowedAt, resolvePolicy, resolveWithSources } from "./resolve";

describe("resolvePolicy", () => {
  it("is the secure default when nothing is set", () => {
    expect(resolvePolicy({})).toEqual(defaultPolicy);
    expect(resolveWithSources({}).requireSmtpAuth).toEqual({ value: true, source: "default" });
  });

  it("takes the nearest level that sets a key", () => {
    const layers = {
      provider: { requireSmtpAuth: false, tlsMinVersion: "TLSv1.3" as const },
      customer: { requireSmtpAuth: true },
      domain: { requireSmtpAuth: false },
    };
    const resolved = resolveWithSources(layers);
    expect(resolved.requireSmtpAuth).toEqual({ value: false, source: "domain" });
    expect(resolved.tlsMinVersion).toEqual({ value: "TLSv1.3", source: "provider" });
    expect(resolved.relay).toEqual({ value: "nobody", source: "default" });
  });

  it("ignores a key set at a level where it does not belong", () => {
    // Relay is provider/server only: a domain cannot open it.
    const resolved = resolvePolicy({ domain: { relay: "local-networks" } });
    expect(resolved.relay).toBe("nobody");
    expect(keysAllowedAt("domain")).not.toContain("relay");
    expect(keysAllowedAt("server")).toContain("relay");
  });
});
