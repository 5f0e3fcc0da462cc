// Row 14 as a user meets it: each failed rule is named in words they can act on.
import { describe, expect, it } from "vitest";
import { defaultPolicy, isLoosening } from "./catalogue";
import { checkPassword, describePasswordPolicy } from "./password";

const policy = defaultPolicy.passwordPolicy;

describe("checkPassword", () => {
  it("accepts a long password from three classes", () => {
    expect(
      checkPassword("Harbour-Lantern-42", policy, { userName: "alice", domainName: "example.com" }),
    ).toEqual([]);
  });

  it("names every broken rule", () => {
    const problems = checkPassword("alice", policy, { userName: "alice" });
    expect(problems).toContain("Use at least 12 characters.");
    expect(problems.some((p) => p.startsWith("Mix at least 3 of"))).toBe(true);
    expect(problems).toContain('Must not contain "alice".');
  });

  it("refuses the domain name and common passwords", () => {
    expect(checkPassword("Example-Mail-2026", policy, { domainName: "example.com" })).toContain(
      'Must not contain "example".',
    );
    expect(checkPassword("Password1234", policy, {})).toContain(
      "This password is on the list of commonly used passwords.",
    );
  });

  it("describes the policy in one sentence", () => {
    expect(describePasswordPolicy(policy)).toBe(
      "at least 12 characters, 3 of 4 character classes, not containing the user or domain name, not a common password",
    );
  });
});

describe("isLoosening", () => {
  it("flags changes that lower security and not the others", () => {
    expect(isLoosening("requireSmtpAuth", true, false)).toBe(true);
    expect(isLoosening("requireSmtpAuth", false, true)).toBe(false);
    expect(isLoosening("relay", "nobody", "local-networks")).toBe(true);
    expect(isLoosening("tlsMinVersion", "TLSv1.3", "TLSv1.2")).toBe(true);
    expect(isLoosening("tlsMinVersion", "TLSv1.2", "TLSv1.3")).toBe(false);
    expect(isLoosening("passwordPolicy", policy, { ...policy, minLength: 8 })).toBe(true);
  });
});
