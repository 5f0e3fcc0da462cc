// Reconnect pacing and hub URL normalisation: small pure functions the reconnect loop relies on.
import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, retryAfterDelay } from "./backoff";
import { hubSocketUrl } from "./hub-url";

describe("backoffDelay", () => {
  const options = { initialDelayMs: 1000, maxDelayMs: 30_000 };

  it("doubles from the initial delay and caps at the maximum", () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffDelay(attempt, options, top))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it("jitters between half and all of the ceiling", () => {
    expect(backoffDelay(3, options, () => 0)).toBe(4000);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(10, options);
      expect(delay).toBeGreaterThanOrEqual(15_000);
      expect(delay).toBeLessThanOrEqual(30_000);
    }
  });
});

describe("Retry-After", () => {
  it("reads seconds and ignores dates and garbage", () => {
    expect(parseRetryAfter("3")).toBe(3);
    expect(parseRetryAfter(["12"])).toBe(12);
    expect(parseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT")).toBeNull();
    expect(parseRetryAfter("-1")).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });

  it("waits at least what the hub asked, jittered within a second, and never less than the backoff", () => {
    expect(retryAfterDelay(3, 100, () => 0)).toBe(3000);
    expect(retryAfterDelay(3, 100, () => 0.999)).toBe(3999);
    expect(retryAfterDelay(1, 8000, () => 0.5)).toBe(8000);
    expect(retryAfterDelay(100_000, 0, () => 0)).toBe(600_000);
  });
});

describe("hubSocketUrl", () => {
  it.each([
    ["https://console.example.com", "wss://console.example.com/agent"],
    ["http://127.0.0.1:3000/", "ws://127.0.0.1:3000/agent"],
    ["wss://console.example.com/agent", "wss://console.example.com/agent"],
    ["ws://hub:8080/custom", "ws://hub:8080/custom"],
  ])("%s → %s", (input, expected) => {
    expect(hubSocketUrl(input)).toBe(expected);
  });

  it("refuses other schemes", () => {
    expect(() => hubSocketUrl("ftp://x")).toThrow(/must start with/);
    expect(() => hubSocketUrl("not a url")).toThrow(/is not a URL/);
  });
});
