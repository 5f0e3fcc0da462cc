// Secrets handed out once (setup, enrollment, agent and API tokens) and stored only as hashes, so a
// database leak does not leak working credentials. The tokens are long random values, so a plain sha256
// is enough (no slow hash needed), and lookups by hash stay indexable.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A URL-safe random token with `bytes` bytes of entropy (32 → 43 characters). */
export function generateToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** sha256 hex of the token: what the database stores and what lookups use. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests; false (never a throw) on different lengths or non-hex. */
export function safeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length || a.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(a) || !/^[0-9a-f]*$/i.test(b)) {
    return false;
  }
  return timingSafeEqual(Buffer.from(a.toLowerCase(), "hex"), Buffer.from(b.toLowerCase(), "hex"));
}
