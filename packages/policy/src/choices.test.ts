// Editors offer exactly the schema's values, so the dashboard and the agent can never disagree.
import { describe, expect, it } from "vitest";
import { parseChoice, settingChoices } from "./choices";

describe("settingChoices", () => {
  it("lists an enum's values with readable labels, secure default first", () => {
    expect(settingChoices("spfCheck")).toEqual([
      { value: "reject-fail", label: "Reject failures (550)" },
      { value: "tag", label: "Tag only" },
      { value: "off", label: "Off" },
    ]);
  });

  it("offers On/Off for booleans and round-trips the value", () => {
    expect(settingChoices("authOnlyOverTls")?.map((c) => c.label)).toEqual(["On", "Off"]);
    expect(parseChoice("authOnlyOverTls", "false")).toBe(false);
    expect(parseChoice("tlsMinVersion", "TLSv1.3")).toBe("TLSv1.3");
  });

  it("has no generic editor for structured settings", () => {
    expect(settingChoices("passwordPolicy")).toBeNull();
    expect(settingChoices("retryScheduleMinutes")).toBeNull();
    expect(settingChoices("serverRole")).toBeNull();
  });
});
