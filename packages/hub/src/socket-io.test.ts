// Close reasons come from zod messages and hostnames of any length; ws throws past 123 bytes.
import { describe, expect, it } from "vitest";
import { truncateCloseReason } from "./socket-io";

describe("truncateCloseReason", () => {
  it("keeps short reasons and cuts long ones, multi-byte characters included, to 123 bytes", () => {
    expect(truncateCloseReason("agent revoked")).toBe("agent revoked");
    for (const long of ["x".repeat(500), "é".repeat(200), "🙂".repeat(100)]) {
      const cut = truncateCloseReason(long);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(123);
      expect(cut.endsWith("...")).toBe(true);
      expect(long.startsWith(cut.slice(0, -3))).toBe(true);
    }
  });
});
