// mailauth turns the DKIM key record into a key object for every message it verifies (and node:crypto
// parses the PEM it exports again inside verify): a fifth of its CPU per message, for the same few keys
// of the senders a server hears from. Installed in the authentication threads only, this keeps the
// parsed keys: `createPublicKey` returns the same (immutable) KeyObject for the same key bytes, and
// `verify` given a PEM string uses the KeyObject parsed from it before. Bounded; the oldest go first.
import crypto, { type KeyObject } from "node:crypto";

const MAX_KEYS = 500;

function cacheKey(input: unknown): string | null {
  if (typeof input === "string") return `pem:${input}`;
  if (input && typeof input === "object" && "key" in input) {
    const { key, format, type } = input as { key: unknown; format?: string; type?: string };
    if (typeof key === "string") return `${format ?? ""}:${type ?? ""}:${key}`;
    if (key instanceof Uint8Array)
      return `${format ?? ""}:${type ?? ""}:${Buffer.from(key).toString("base64")}`;
  }
  return null;
}

export function installPublicKeyCache(): void {
  const keys = new Map<string, KeyObject>();
  const createPublicKey = crypto.createPublicKey;
  const verify = crypto.verify;
  const parsed = (input: Parameters<typeof createPublicKey>[0]): KeyObject => {
    const key = cacheKey(input);
    if (key === null) return createPublicKey(input);
    let object = keys.get(key);
    if (!object) {
      object = createPublicKey(input);
      keys.set(key, object);
      if (keys.size > MAX_KEYS) keys.delete(keys.keys().next().value!);
    }
    return object;
  };
  crypto.createPublicKey = parsed;
  crypto.verify = ((algorithm, data, key, signature, callback?) =>
    verify(
      algorithm,
      data,
      typeof key === "string" && key.startsWith("-----BEGIN") ? parsed(key) : key,
      signature,
      callback as never,
    )) as typeof crypto.verify;
}
