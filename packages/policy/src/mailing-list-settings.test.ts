// Row 22 in the catalogue: which changes to the mailing-list settings count as loosening (confirmed in
// the console, refused under a provider lock), what the editor offers, and what the schema refuses.
import { describe, expect, it } from "vitest";
import { defaultPolicy, isLoosening, settings } from "./catalogue";
import { settingChoices } from "./choices";
import { policySchema } from "./schema";

describe("row 22: mailing lists", () => {
  it("defaults to members-only posting and 10 lists per domain, at provider, customer and domain", () => {
    expect(defaultPolicy.mailingListPosting).toBe("members");
    expect(defaultPolicy.maxMailingListsPerDomain).toBe(10);
    expect(settings.mailingListPosting.levels).toEqual(["provider", "customer", "domain"]);
    expect(settings.maxMailingListsPerDomain.group).toBe("Mailing lists");
  });

  it("posting: moderators → members → anyone loosens, the way back does not", () => {
    expect(isLoosening("mailingListPosting", "moderators", "members")).toBe(true);
    expect(isLoosening("mailingListPosting", "members", "anyone")).toBe(true);
    expect(isLoosening("mailingListPosting", "anyone", "members")).toBe(false);
    expect(isLoosening("mailingListPosting", "members", "moderators")).toBe(false);
  });

  it("max lists: raising loosens, lowering does not", () => {
    expect(isLoosening("maxMailingListsPerDomain", 10, 11)).toBe(true);
    expect(isLoosening("maxMailingListsPerDomain", 10, 3)).toBe(false);
  });

  it("offers the three posting modes with readable labels", () => {
    expect(settingChoices("mailingListPosting")).toEqual([
      { value: "members", label: "The list's members" },
      { value: "moderators", label: "The list's moderators only" },
      { value: "anyone", label: "Anyone" },
    ]);
  });

  it("refuses unknown posting modes and negative or fractional limits", () => {
    const with_ = (patch: object) => policySchema.safeParse({ ...defaultPolicy, ...patch }).success;
    expect(with_({ mailingListPosting: "everyone" })).toBe(false);
    expect(with_({ maxMailingListsPerDomain: -1 })).toBe(false);
    expect(with_({ maxMailingListsPerDomain: 2.5 })).toBe(false);
    expect(with_({ maxMailingListsPerDomain: 0 })).toBe(true);
  });
});
