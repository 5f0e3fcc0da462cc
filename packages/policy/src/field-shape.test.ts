// The editor's inputs come from the schema: a setting of a known shape gets a real input, anything else
// is shown read-only rather than edited wrongly.
import { describe, expect, it } from "vitest";
import { fieldShape } from "./field-shape";

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

  it("falls back to read-only for shapes it cannot edit", () => {
    expect(fieldShape("catchAllMailbox")).toEqual({ kind: "readonly" }); // nullable string
    expect(fieldShape("serverRole")).toEqual({ kind: "readonly" }); // nullable host inside
  });
});
