// Tokens are shown once and stored only as hashes; the comparison must not leak timing or throw.
import { describe, expect, it } from "vitest";
import { generateToken, hashToken, safeEqualHex } from "./tokens";

describe("tokens", () => {
  it("generates distinct URL-safe tokens of the requested entropy", () => {
    const a = generateToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
    expect(generateToken(16)).toHaveLength(22);
  });

  it("hashes to sha256 hex and compares hashes safely", () => {
    const token = generateToken();
    const hash = hashToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(hash);
    expect(safeEqualHex(hash, hashToken(token))).toBe(true);
    expect(safeEqualHex(hash, hash.toUpperCase())).toBe(true);
    expect(safeEqualHex(hash, hashToken(`${token}x`))).toBe(false);
    expect(safeEqualHex(hash, hash.slice(2))).toBe(false);
    expect(safeEqualHex("zz", "zz")).toBe(false);
  });
});
