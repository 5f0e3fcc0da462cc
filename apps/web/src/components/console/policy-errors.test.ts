// The editor shows each part of a refused save under its own setting: these are the server's three ways
// of naming a setting (policy router and services/policy.ts), as they arrive.
import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { plainProblem, settingErrors } from "./policy-errors";

const settings = [
  { key: "requireSmtpAuth", label: "Require SMTP authentication" },
  { key: "ipBlacklist", label: "IP blacklist" },
  { key: "dnsBlocklists", label: "DNS blocklists" },
  { key: "dnsBlocklistZones", label: "DNS blocklist zones" },
] as const;

function serverError(message: string, details: string[] | null = null) {
  return new TRPCClientError(message, {
    result: { error: { message, code: -32600, data: { code: "BAD_REQUEST", details } } },
  } as never);
}

describe("settingErrors", () => {
  it("splits a message that names several settings by their labels", () => {
    const { byKey, general } = settingErrors(
      serverError(
        "IP blacklist — Entry 1: 203.0.113.300 is not an IP address or network DNS blocklist zones — Too small",
      ),
      settings,
    );
    expect(byKey).toEqual({
      ipBlacklist: "Entry 1: 203.0.113.300 is not an IP address or network",
      dnsBlocklistZones: "Too small",
    });
    expect(general).toBeNull();
  });

  it("puts a lock refusal under the keys its details name", () => {
    const message =
      "Require SMTP authentication is locked by the provider (pat@provider.example, 2026-12-07 10:00 UTC): it cannot be looser than On.";
    const { byKey } = settingErrors(serverError(message, ["requireSmtpAuth"]), settings);
    expect(byKey).toEqual({ requireSmtpAuth: message });
  });

  it("reads a schema path that starts with the key", () => {
    const { byKey } = settingErrors(serverError("ipBlacklist: Invalid input"), settings);
    expect(byKey).toEqual({ ipBlacklist: "Invalid input" });
  });

  it("keeps what no setting owns for the form, and never shows JSON", () => {
    expect(settingErrors(serverError("Something went wrong."), settings)).toEqual({
      byKey: {},
      general: "Something went wrong.",
    });
    const json = settingErrors(serverError('[{"code":"invalid_type","path":["patch"]}]'), settings);
    expect(json.general).not.toContain("{");
  });
});

describe("plainProblem", () => {
  it("asks for a number instead of naming a type", () => {
    expect(plainProblem("Invalid input: expected number, received null")).toBe("Enter a number");
    expect(plainProblem("Too big: expected number to be <=100")).toBe("Too big: expected number to be <=100");
  });
});
