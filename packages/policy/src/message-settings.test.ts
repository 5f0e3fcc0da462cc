// Rows 3, 4, 18, 20 and 23 in the catalogue: which changes count as loosening (confirmed in the
// console, refused under a provider lock), and which values the schema refuses.
import { describe, expect, it } from "vitest";
import { defaultPolicy, isLoosening } from "./catalogue";
import { policySchema } from "./schema";

describe("loosening rows 3, 4, 18, 20, 23", () => {
  it("auth match: address → domain → off loosens, the way back does not", () => {
    expect(isLoosening("requireAuthMatch", "address", "domain")).toBe(true);
    expect(isLoosening("requireAuthMatch", "domain", "off")).toBe(true);
    expect(isLoosening("requireAuthMatch", "off", "address")).toBe(false);
  });

  it("SMTP auth for local deliveries: turning it off loosens", () => {
    expect(isLoosening("smtpAuthForLocalDeliveries", true, false)).toBe(true);
    expect(isLoosening("smtpAuthForLocalDeliveries", false, true)).toBe(false);
  });

  it("outbound throttle: raising any limit loosens, lowering one or switching delay/reject does not", () => {
    const base = defaultPolicy.outboundThrottle;
    expect(isLoosening("outboundThrottle", base, { ...base, mailboxMessagesPerDay: 501 })).toBe(true);
    expect(isLoosening("outboundThrottle", base, { ...base, recipientsPerMessage: 51 })).toBe(true);
    expect(isLoosening("outboundThrottle", base, { ...base, domainMessagesPerHour: 10 })).toBe(false);
    expect(isLoosening("outboundThrottle", base, { ...base, action: "reject" })).toBe(false);
  });

  it("URI blocklists: reject → tag → off and dropping a zone loosen; adding one does not", () => {
    expect(isLoosening("uriBlocklist", "reject", "tag")).toBe(true);
    expect(isLoosening("uriBlocklist", "tag", "off")).toBe(true);
    expect(isLoosening("uriBlocklist", "tag", "reject")).toBe(false);
    expect(isLoosening("uriBlocklistZones", ["a.test", "b.test"], ["a.test"])).toBe(true);
    expect(isLoosening("uriBlocklistZones", ["a.test"], ["a.test", "b.test"])).toBe(false);
  });

  it("logging: detailed → normal → off loosens", () => {
    expect(isLoosening("smtpLogLevel", "detailed", "normal")).toBe(true);
    expect(isLoosening("deliveryLogLevel", "normal", "off")).toBe(true);
    expect(isLoosening("deliveryLogLevel", "off", "detailed")).toBe(false);
  });
});

describe("schema of rows 18 and 20", () => {
  it("accepts the defaults and refuses a zero limit, too many recipients or a zone that is not a name", () => {
    expect(policySchema.safeParse(defaultPolicy).success).toBe(true);
    const throttle = defaultPolicy.outboundThrottle;
    for (const outboundThrottle of [
      { ...throttle, mailboxMessagesPerHour: 0 },
      { ...throttle, recipientsPerMessage: 101 },
    ]) {
      expect(policySchema.safeParse({ ...defaultPolicy, outboundThrottle }).success).toBe(false);
    }
    expect(policySchema.safeParse({ ...defaultPolicy, uriBlocklistZones: ["not a zone"] }).success).toBe(
      false,
    );
  });
});
