// The audit log's before/after in words: labels for settings and values, bookkeeping left out.
import { describe, expect, it } from "vitest";
import { auditChanges } from "./audit-changes";

describe("auditChanges", () => {
  it("names a policy change by the setting's label and the values' labels, and flags a loosening", () => {
    expect(
      auditChanges({ requireSmtpAuth: true, spfCheck: "tag" }, { requireSmtpAuth: false, spfCheck: "tag" }),
    ).toEqual([
      {
        key: "requireSmtpAuth",
        label: "Require SMTP authentication",
        before: "On",
        after: "Off",
        isLooser: true,
      },
    ]);
    expect(auditChanges({}, { spfCheck: "reject-fail" })).toEqual([
      {
        key: "spfCheck",
        label: expect.any(String),
        before: "Inherited",
        after: "Reject failures (550)",
        isLooser: false,
      },
    ]);
  });

  it("words other fields plainly and leaves out ids and revision numbers", () => {
    expect(
      auditChanges(null, { appliedRevision: 4, commandId: "c1", name: "xn--bcher-kva.example" }),
    ).toEqual([{ key: "name", label: "Name", before: null, after: "bücher.example", isLooser: false }]);
    expect(auditChanges({ name: "Acme", require2fa: false }, { name: "Acme", require2fa: true })).toEqual([
      {
        key: "require2fa",
        label: "Two-factor authentication required",
        before: "Off",
        after: "On",
        isLooser: false,
      },
    ]);
  });
});
