// The stored resumes both the hub and the console read: only current members' entries, and nothing
// (rather than a crash that would stop every config push of the tenant) from a column that is not a list.
import { describe, expect, it } from "vitest";
import { bounceResumesOf } from "./mailing-list-resumes";

describe("bounceResumesOf", () => {
  it("keeps the entries of current members only", () => {
    const stored = [
      { address: "a@x.test", at: "2026-01-02T00:00:00.000Z" },
      { address: "gone@x.test", at: "2026-01-03T00:00:00.000Z" },
    ];
    expect(bounceResumesOf(stored, ["a@x.test", "b@x.test"])).toEqual([stored[0]]);
  });

  it("reads nothing from a malformed column", () => {
    expect(bounceResumesOf({ address: "a@x.test" }, ["a@x.test"])).toEqual([]);
    expect(bounceResumesOf([{ address: "a@x.test" }], ["a@x.test"])).toEqual([]);
    expect(bounceResumesOf(null, ["a@x.test"])).toEqual([]);
  });
});
