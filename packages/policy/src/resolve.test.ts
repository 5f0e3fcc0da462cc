// Inheritance as an admin expects it: the nearest level that sets a key wins, levels can only set the
// keys their catalogue entry allows, every value says where it came from, a provider lock is a floor no
// level below can loosen, and propagation clears the levels between provider and domain.
import { describe, expect, it } from "vitest";
import { defaultPolicy } from "./catalogue";
import {
  isLockable,
  keysAllowedAt,
  lockViolations,
  propagationChange,
  resolvePolicy,
  resolveWithSources,
  withProviderValue,
} from "./resolve";

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

describe("customer level", () => {
  it("sits between provider and domain, and says where each value comes from", () => {
    const layers = {
      provider: { requireSmtpAuth: true, spfCheck: "tag" as const },
      customer: { requireSmtpAuth: false },
    };
    expect(resolveWithSources(layers).requireSmtpAuth).toEqual({ value: false, source: "customer" });
    expect(resolveWithSources({ ...layers, domain: { requireSmtpAuth: true } }).requireSmtpAuth).toEqual({
      value: true,
      source: "domain",
    });
    // spfCheck is provider/domain only: a customer value is not in force.
    const withCustomerSpf = resolveWithSources({ ...layers, customer: { spfCheck: "off" as const } });
    expect(withCustomerSpf.spfCheck).toEqual({ value: "tag", source: "provider" });
  });
});

describe("provider locks", () => {
  const lock = { lockedBy: "pat@provider.test", lockedAt: new Date("2026-11-23T00:00:00Z") };

  it("ignores a looser value below a lock and reports it, keeping tighter ones", () => {
    const layers = {
      provider: { requireSmtpAuth: true, tlsMinVersion: "TLSv1.2" as const },
      customer: { requireSmtpAuth: false },
      domain: { requireSmtpAuth: false },
      server: { tlsMinVersion: "TLSv1.3" as const },
      locks: { requireSmtpAuth: lock, tlsMinVersion: lock },
    };
    const resolved = resolveWithSources(layers);
    expect(resolved.requireSmtpAuth).toEqual({
      value: true,
      source: "provider",
      lock,
      ignored: [
        { level: "customer", value: false },
        { level: "domain", value: false },
      ],
    });
    // Tightening below a lock is fine.
    expect(resolved.tlsMinVersion).toEqual({ value: "TLSv1.3", source: "server", lock });
    expect(resolvePolicy(layers).requireSmtpAuth).toBe(true);
  });

  it("without a lock the same overrides are in force", () => {
    expect(
      resolvePolicy({ provider: { requireSmtpAuth: true }, domain: { requireSmtpAuth: false } }),
    ).toMatchObject({ requireSmtpAuth: false });
  });

  it("locks the secure default when the provider set nothing", () => {
    const resolved = resolveWithSources({ domain: { spfCheck: "off" }, locks: { spfCheck: lock } });
    expect(resolved.spfCheck).toMatchObject({ value: "reject-fail", source: "default" });
    expect(resolved.spfCheck.ignored).toEqual([{ level: "domain", value: "off" }]);
  });

  it("names the settings a save would loosen below a lock", () => {
    const layers = { provider: { spfCheck: "tag" as const }, locks: { spfCheck: lock } };
    expect(lockViolations(layers, "domain", { spfCheck: "off" })).toEqual([
      { key: "spfCheck", label: "SPF check", lockedValue: "tag", lock },
    ]);
    expect(lockViolations(layers, "domain", { spfCheck: "reject-fail" })).toEqual([]);
    expect(lockViolations(layers, "domain", { requireSmtpAuth: false })).toEqual([]);
  });

  it("for a setting without its own ordering, allows only the locked value or the secure default", () => {
    const layers = { provider: { retryScheduleMinutes: [5, 5] }, locks: { retryScheduleMinutes: lock } };
    expect(lockViolations(layers, "server", { retryScheduleMinutes: [5, 5] })).toEqual([]);
    expect(lockViolations(layers, "server", { retryScheduleMinutes: [10, 10, 10, 1440] })).toEqual([]);
    expect(lockViolations(layers, "server", { retryScheduleMinutes: [1] })).toHaveLength(1);
  });

  it("only settings settable below the provider are lockable", () => {
    expect(isLockable("requireSmtpAuth")).toBe(true);
    expect(isLockable("dkimVerify")).toBe(false); // provider only
    expect(isLockable("serverRole")).toBe(false); // server only
  });
});

describe("propagation", () => {
  it("clears customer and domain values so the domain gets the provider value", () => {
    const layers = {
      provider: { requireSmtpAuth: true },
      customer: { requireSmtpAuth: false, spfCheck: "tag" as const },
      domain: { requireSmtpAuth: false },
    };
    expect(withProviderValue(layers, "requireSmtpAuth")).toEqual({
      provider: { requireSmtpAuth: true },
      customer: { spfCheck: "tag" },
      domain: {},
    });
    expect(propagationChange(layers, "requireSmtpAuth")).toEqual({ from: false, to: true });
    expect(propagationChange({ provider: { requireSmtpAuth: true } }, "requireSmtpAuth")).toBeNull();
  });

  it("reports no change for an override a lock already ignores", () => {
    const layers = {
      provider: { requireSmtpAuth: true },
      domain: { requireSmtpAuth: false },
      locks: { requireSmtpAuth: { lockedBy: "pat", lockedAt: new Date() } },
    };
    expect(propagationChange(layers, "requireSmtpAuth")).toBeNull();
  });
});
