// Row 21 in the policy: the editor can render every rule, and what counts as loosening (confirmation,
// refused under a provider lock) matches what lets more abuse through.
import { describe, expect, it } from "vitest";
import { defaultPolicy, isLoosening } from "./catalogue";
import { fieldShape } from "./field-shape";
import { policySchema } from "./schema";

const keys = [
  "abuseDenialOfService",
  "abuseHarvesting",
  "abuseBruteForce",
  "abuseInternalSpammer",
  "abuseLoginGrace",
] as const;

describe("abuse detection settings", () => {
  it("are on by default and editable as plain objects", () => {
    expect(policySchema.safeParse(defaultPolicy).success).toBe(true);
    for (const key of keys) expect(fieldShape(key).kind).toBe("object");
    expect(defaultPolicy.abuseBruteForce).toMatchObject({ enabled: true, failures: 5, minutes: 10 });
  });

  it("treats switching off, higher thresholds, shorter windows and shorter blocks as loosening", () => {
    const brute = defaultPolicy.abuseBruteForce;
    expect(isLoosening("abuseBruteForce", brute, { ...brute, enabled: false })).toBe(true);
    expect(isLoosening("abuseBruteForce", brute, { ...brute, failures: 20 })).toBe(true);
    expect(isLoosening("abuseBruteForce", brute, { ...brute, minutes: 1 })).toBe(true);
    expect(isLoosening("abuseBruteForce", brute, { ...brute, blockMinutes: 5 })).toBe(true);
    expect(isLoosening("abuseBruteForce", brute, { ...brute, failures: 3, blockMinutes: 600 })).toBe(false);
    const spammer = defaultPolicy.abuseInternalSpammer;
    expect(isLoosening("abuseInternalSpammer", spammer, { ...spammer, messages: 500 })).toBe(true);
    expect(isLoosening("abuseInternalSpammer", spammer, { ...spammer, messages: 10 })).toBe(false);
    const grace = defaultPolicy.abuseLoginGrace;
    expect(isLoosening("abuseLoginGrace", grace, { ...grace, trustMinutes: 600 })).toBe(true);
    expect(isLoosening("abuseLoginGrace", grace, { ...grace, trustMinutes: 0 })).toBe(false);
  });
});
