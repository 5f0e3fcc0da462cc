// Secrets at rest: the instance key comes from MAILWARDEN_SECRET_KEY or is generated once into the data
// directory (mode 0600). TOTP secrets are sealed with AES-256-GCM under it.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export function loadOrCreateSecretKey(fromEnv: string | undefined, dataDir: string): Buffer {
  if (fromEnv) {
    const key = Buffer.from(fromEnv, "base64");
    if (key.length !== 32) throw new Error("MAILWARDEN_SECRET_KEY must be 32 bytes, base64-encoded");
    return key;
  }
  const file = path.join(dataDir, "secret.key");
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const key = randomBytes(32);
  fs.writeFileSync(file, key.toString("base64"), { mode: 0o600, flag: "wx" });
  return key;
}

export function deriveAuthSecret(key: Buffer): string {
  return Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), "mailwarden-session", 32)).toString("base64");
}

/** "v1.<iv>.<tag>.<ciphertext>", all base64url. */
export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

export function unseal(sealed: string, key: Buffer): string {
  const [version, iv, tag, data] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("unknown sealed format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}

export function fingerprint(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 12);
}
