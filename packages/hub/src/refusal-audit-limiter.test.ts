// The per-address cap on refusal audits, with a fake clock.
import { describe, expect, it } from "vitest";
import { RefusalAuditLimiter } from "./refusal-audit-limiter";

describe("RefusalAuditLimiter", () => {
  it("lets a few refusals per address through each minute, then stops", () => {
    let now = 0;
    const limiter = new RefusalAuditLimiter(2, () => now);
    expect([limiter.allow("a"), limiter.allow("a"), limiter.allow("a")]).toEqual([true, true, false]);
    expect(limiter.allow("b")).toBe(true);
    now = 60_000;
    expect(limiter.allow("a")).toBe(true);
  });
});
