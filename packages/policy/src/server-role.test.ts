// Row 25: the role's fields are validated where every layer validates them, so the console cannot save
// a backup MX without a primary, nor an agent receive a relay host it cannot connect to.
import { describe, expect, it } from "vitest";
import { defaultPolicy } from "./catalogue";
import { resolvePolicy } from "./resolve";
import { parseRelayHost, serverRoleSchema, type ServerRole } from "./schema";

describe("serverRole", () => {
  it("defaults to primary and is set only per server", () => {
    expect(defaultPolicy.serverRole.role).toBe("primary");
    const backup: ServerRole = {
      role: "backup-mx",
      relayHost: "mx1.example.com",
      backupDomains: ["example.com"],
    };
    expect(resolvePolicy({ provider: { serverRole: backup } }).serverRole.role).toBe("primary");
    expect(resolvePolicy({ server: { serverRole: backup } }).serverRole).toEqual(backup);
  });

  it("ties the relay host and backup domains to the role", () => {
    const ok = (value: unknown) => serverRoleSchema.safeParse(value).success;
    expect(ok({ role: "backup-mx", relayHost: "mx1.example.com:2525", backupDomains: ["example.com"] })).toBe(
      true,
    );
    expect(ok({ role: "backup-mx", relayHost: null, backupDomains: ["example.com"] })).toBe(false);
    expect(ok({ role: "backup-mx", relayHost: "mx1.example.com", backupDomains: [] })).toBe(false);
    expect(ok({ role: "primary-with-smarthost", relayHost: "[2001:db8::1]:587", backupDomains: [] })).toBe(
      true,
    );
    expect(ok({ role: "primary", relayHost: "mx1.example.com", backupDomains: [] })).toBe(false);
    expect(ok({ role: "outgoing-gateway", relayHost: null, backupDomains: [] })).toBe(true);
    expect(ok({ role: "backup-mx", relayHost: "x", backupDomains: ["not a domain"] })).toBe(false);
  });

  it("parses host[:port] and refuses anything else", () => {
    expect(parseRelayHost("smtp.example.com")).toEqual({ host: "smtp.example.com", port: null });
    expect(parseRelayHost("127.0.0.1:2525")).toEqual({ host: "127.0.0.1", port: 2525 });
    expect(parseRelayHost("[::1]:25")).toEqual({ host: "::1", port: 25 });
    for (const bad of ["", "host:0", "host:70000", "-bad.example", "a b", "host:25:25", "[nothex]"]) {
      expect(parseRelayHost(bad)).toBeNull();
    }
  });
});
