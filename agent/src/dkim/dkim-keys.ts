// DKIM keys of the local domains (POLICY.md row 11). Each domain gets an RSA 2048 key the first time it
// is needed — to sign a message or to report the public key in the posture, so the dashboard can show
// the DNS record before any mail leaves. The private key never leaves the host:
//   <stateDir>/dkim/<domain>.key   PKCS#8 PEM, mode 0600
//   <stateDir>/dkim/<domain>.json  {selector, createdAt}, written last: it marks a complete pair
// The selector is "mw<yyyymm>-<random>": the month says how old a key is, the random part keeps two
// agents that serve the same domain from ever claiming the same DNS name.
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Logger } from "pino";
import { mkdirDurable, writeFileAtomic } from "../state/atomic-write";

const generateKeyPairAsync = promisify(generateKeyPair);

export interface DkimKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
  /** Base64 DER SubjectPublicKeyInfo: the p= value of the DNS record. */
  publicKey: string;
}

export interface DkimPublicKey {
  domain: string;
  selector: string;
  publicKey: string;
}

export function dkimDir(stateDir: string): string {
  return path.join(stateDir, "dkim");
}

export class DkimKeyStore {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #keys = new Map<string, Promise<DkimKey>>();

  constructor(stateDir: string, logger: Logger) {
    this.#dir = dkimDir(stateDir);
    this.#logger = logger;
  }

  /** The domain's key, loaded from disk or generated once; concurrent callers share one generation. */
  keyFor(domain: string): Promise<DkimKey> {
    const name = domain.toLowerCase();
    let key = this.#keys.get(name);
    if (!key) {
      key = this.#loadOrCreate(name);
      this.#keys.set(name, key);
      // A failed attempt (disk full, read-only state) is retried by the next caller.
      key.catch(() => this.#keys.delete(name));
    }
    return key;
  }

  /** Public keys for the posture; a domain whose key cannot be made is logged and left out. */
  async publicKeys(domains: readonly string[]): Promise<DkimPublicKey[]> {
    const keys: DkimPublicKey[] = [];
    for (const domain of domains) {
      try {
        const { selector, publicKey } = await this.keyFor(domain);
        keys.push({ domain: domain.toLowerCase(), selector, publicKey });
      } catch (error) {
        this.#logger.error({ domain, err: error }, "dkim key unavailable");
      }
    }
    return keys;
  }

  async #loadOrCreate(domain: string): Promise<DkimKey> {
    const keyFile = path.join(this.#dir, `${domain}.key`);
    const metaFile = path.join(this.#dir, `${domain}.json`);
    const existing = await readExisting(keyFile, metaFile);
    if (existing) return { domain, ...existing };

    await mkdirDurable(this.#dir, 0o700);
    const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const selector = newSelector();
    await writeFileAtomic(keyFile, privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(
      metaFile,
      JSON.stringify({ selector, createdAt: new Date().toISOString() }) + "\n",
      { mode: 0o600 },
    );
    this.#logger.info({ domain, selector }, "dkim key generated");
    return { domain, selector, privateKeyPem, publicKey: publicKeyOf(privateKeyPem) };
  }
}

async function readExisting(
  keyFile: string,
  metaFile: string,
): Promise<{ selector: string; privateKeyPem: string; publicKey: string } | null> {
  let meta: string;
  try {
    meta = await readFile(metaFile, "utf8");
  } catch (error) {
    // No sidecar: never generated, or interrupted before the pair was complete (never published).
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const { selector } = JSON.parse(meta) as { selector?: unknown };
  if (typeof selector !== "string" || !/^[a-z0-9-]{1,63}$/.test(selector)) {
    throw new Error(`${metaFile}: no usable selector`);
  }
  const privateKeyPem = await readFile(keyFile, "utf8");
  return { selector, privateKeyPem, publicKey: publicKeyOf(privateKeyPem) };
}

function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem))
    .export({ type: "spki", format: "der" })
    .toString("base64");
}

function newSelector(now = new Date()): string {
  const month = `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
  return `mw${month}-${randomBytes(3).toString("hex")}`;
}
