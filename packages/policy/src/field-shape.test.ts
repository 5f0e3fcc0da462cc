// The editor's inputs come from the schema: a setting of a known shape gets a real input, anything else
// is shown read-only rather than edited wrongly.
import { describe, expect, it } from "vitest";
import { fieldShape, settingProblems } from "./field-shape";

describe("fieldShape", () => {
  it("reads switches, selects, lists and objects from the zod schema", () => {
    expect(fieldShape("requireSmtpAuth")).toEqual({ kind: "boolean" });
    expect(fieldShape("spfCheck")).toEqual({
      kind: "enum",
      options: [
        { value: "reject-fail", label: "Reject failures (550)" },
        { value: "tag", label: "Tag only" },
        { value: "off", label: "Off" },
      ],
    });
    expect(fieldShape("retryScheduleMinutes")).toEqual({
      kind: "number-list",
      min: 1,
      max: 10080,
      minItems: 1,
      maxItems: 20,
    });
    expect(fieldShape("passwordPolicy")).toEqual({
      kind: "object",
      fields: [
        { name: "minLength", shape: { kind: "number", min: 8, max: 128, isInteger: true } },
        { name: "minClasses", shape: { kind: "number", min: 1, max: 4, isInteger: true } },
        { name: "forbidUserOrDomainName", shape: { kind: "boolean" } },
        { name: "forbidCommon", shape: { kind: "boolean" } },
      ],
    });
  });

  it("reads the IP lists as tables of entries, with each field's input", () => {
    const expiry = { kind: "nullable-string", format: "datetime", isOptional: false };
    expect(fieldShape("ipBlacklist")).toEqual({
      kind: "object-list",
      maxItems: 1000,
      fields: [
        { name: "network", shape: { kind: "string", format: null } },
        { name: "reason", shape: { kind: "string", format: null } },
        { name: "expiresAt", shape: expiry },
      ],
    });
    const whitelist = fieldShape("ipWhitelist");
    expect(whitelist.kind === "object-list" && whitelist.fields.map((f) => f.name)).toEqual([
      "network",
      "reason",
      "expiresAt",
      "skips",
    ]);
    expect(whitelist.kind === "object-list" && whitelist.fields[3]!.shape).toEqual({
      kind: "enum-list",
      options: [
        { value: "connection-limits", label: "Connection limits" },
        { value: "dnsbl", label: "DNS blocklists" },
        { value: "rdns", label: "Reverse DNS / EHLO" },
        { value: "relay", label: "Relay" },
      ],
    });
  });

  it("reads the catch-all as a text that may be none", () => {
    expect(fieldShape("catchAllMailbox")).toEqual({
      kind: "nullable-string",
      format: null,
      isOptional: false,
    });
  });

  it("falls back to read-only for shapes it cannot edit", () => {
    expect(fieldShape("serverRole")).toEqual({ kind: "readonly" }); // nullable host inside an object
    expect(fieldShape("notASetting" as never)).toEqual({ kind: "readonly" });
  });
});

describe("settingProblems", () => {
  const entry = { network: "192.0.2.0/24", reason: "scanner", expiresAt: null };

  it("accepts good entries", () => {
    expect(settingProblems("ipBlacklist", [entry])).toEqual([]);
  });

  it("names each bad entry and what is wrong with it", () => {
    expect(
      settingProblems("ipBlacklist", [
        entry,
        { ...entry, network: "203.0.113.300" },
        { ...entry, reason: "", expiresAt: "tomorrow" },
      ]),
    ).toEqual([
      "Entry 2: 203.0.113.300 is not an IP address or network",
      "Entry 3: a reason is required; the expiry must be a date and time",
    ]);
    expect(settingProblems("ipWhitelist", [{ ...entry, skips: [] }])).toEqual([
      "Entry 1: choose at least one check it skips",
    ]);
  });

  it("says what a single value should be", () => {
    expect(settingProblems("catchAllMailbox", null)).toEqual([]);
    expect(settingProblems("catchAllMailbox", "Info@example.com")).toEqual([
      "must be a mailbox name: the part before @, in lower case",
    ]);
  });
});
