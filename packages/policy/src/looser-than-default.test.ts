import { describe, expect, it } from "vitest";
import { defaultPolicy } from "./catalogue";
import { isLooserThanDefault } from "./looser-than-default";
import type { PolicyKey } from "./schema";

describe("isLooserThanDefault", () => {
  it("never marks a secure default", () => {
    for (const key of Object.keys(defaultPolicy) as PolicyKey[]) {
      expect(isLooserThanDefault(key, defaultPolicy[key] as never), key).toBe(false);
    }
  });

  it("marks values less secure than the default, not stricter ones", () => {
    expect(isLooserThanDefault("requireSmtpAuth", false)).toBe(true);
    expect(isLooserThanDefault("relay", "local-networks")).toBe(true);
    expect(isLooserThanDefault("catchAllMailbox", "postmaster")).toBe(true);
    expect(isLooserThanDefault("tlsMinVersion", "TLSv1.3")).toBe(false);
    expect(isLooserThanDefault("passwordPolicy", { ...defaultPolicy.passwordPolicy, minLength: 8 })).toBe(
      true,
    );
    expect(isLooserThanDefault("passwordPolicy", { ...defaultPolicy.passwordPolicy, minLength: 16 })).toBe(
      false,
    );
    expect(
      isLooserThanDefault("outboundThrottle", {
        ...defaultPolicy.outboundThrottle,
        mailboxMessagesPerHour: 50,
      }),
    ).toBe(false);
  });
});
