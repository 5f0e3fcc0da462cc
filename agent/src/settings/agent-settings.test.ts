// The settings file's mail log spool size: a sane default, and a clear message naming the field when it
// is not a usable size.
import { describe, expect, it } from "vitest";
import { parseAgentSettings, SettingsError } from "./agent-settings";

describe("mailLogSpoolBytes", () => {
  it("defaults to 256 MiB", () => {
    expect(parseAgentSettings({ stateDir: "/var/lib/mailwarden" }).mailLogSpoolBytes).toBe(256 * 1024 * 1024);
  });

  it("takes a size of at least 1 MiB", () => {
    const settings = parseAgentSettings({ stateDir: "/s", mailLogSpoolBytes: 64 * 1024 * 1024 });
    expect(settings.mailLogSpoolBytes).toBe(64 * 1024 * 1024);
  });

  it.each([
    [1000, "mailLogSpoolBytes: at least 1 MiB (1048576 bytes)"],
    [2_097_152.5, "mailLogSpoolBytes: a whole number of bytes"],
    ["256M", "mailLogSpoolBytes:"],
  ])("refuses %s with a message naming the field", (value, message) => {
    const parse = () =>
      parseAgentSettings({ stateDir: "/s", mailLogSpoolBytes: value }, "config file agent.json");
    expect(parse).toThrow(SettingsError);
    expect(parse).toThrow(message);
  });
});
