// TLS for every listener, SMTP and POP3 (POLICY.md row 12): the certificate (configured, or a self-signed
// one made on first run and reused), and the hardened options — minimum version from policy, never below
// TLS 1.2; cipher suites from policy (`tlsCiphers`: forward-secret AEAD only, or with ECDHE-CBC added for
// old clients; never RSA key exchange); server cipher order; no client-initiated renegotiation.
import { X509Certificate, constants as cryptoConstants } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { SecureVersion } from "node:tls";
import { generate } from "selfsigned";
import type { Logger } from "pino";
import type { Policy } from "@mailwarden/policy";
import { mkdirDurable, writeFileAtomic } from "../state/atomic-write";

export interface TlsMaterial {
  key: string;
  cert: string;
  certFile: string;
  isGenerated: boolean;
}

export interface CertificateFacts {
  subject: string;
  selfSigned: boolean;
  notAfter: string;
  daysLeft: number;
}

/** TLS 1.3 suites first (all AEAD + PFS), then TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305 only. */
export const STRONG_CIPHERS = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
].join(":");

/** `compatible` (row 12): the strong list, then ECDHE with CBC — still forward-secret, never RSA key exchange. */
export const COMPATIBLE_CIPHERS = [
  STRONG_CIPHERS,
  "ECDHE-ECDSA-AES256-SHA384",
  "ECDHE-RSA-AES256-SHA384",
  "ECDHE-ECDSA-AES128-SHA256",
  "ECDHE-RSA-AES128-SHA256",
  "ECDHE-ECDSA-AES256-SHA",
  "ECDHE-RSA-AES256-SHA",
  "ECDHE-ECDSA-AES128-SHA",
  "ECDHE-RSA-AES128-SHA",
].join(":");

const RENEW_SELF_SIGNED_DAYS = 30;
const SELF_SIGNED_VALID_DAYS = 397;

/** The TLS options smtp-server merges into every secure context it builds. */
export function tlsOptionsFor(policy: Policy, material: TlsMaterial) {
  return {
    key: material.key,
    cert: material.cert,
    minVersion: minTlsVersion(policy),
    // Anything but "compatible" (a future value, a bug) gets the strong list.
    ciphers: policy.tlsCiphers === "compatible" ? COMPATIBLE_CIPHERS : STRONG_CIPHERS,
    honorCipherOrder: true,
    // Client-initiated renegotiation is a DoS lever and pointless with TLS 1.2+; TLS 1.3 has none.
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** Policy only allows 1.2 or 1.3; anything else (a future value, a bug) falls back to 1.2, never lower. */
export function minTlsVersion(policy: Policy): SecureVersion {
  return policy.tlsMinVersion === "TLSv1.3" ? "TLSv1.3" : "TLSv1.2";
}

/** What of the policy shapes a TLS context: equal keys, same context. */
export function tlsPolicyKey(policy: Policy): string {
  return `${minTlsVersion(policy)} ${policy.tlsCiphers}`;
}

export function offeredTlsVersions(policy: Policy): string[] {
  return minTlsVersion(policy) === "TLSv1.3" ? ["TLSv1.3"] : ["TLSv1.2", "TLSv1.3"];
}

export async function loadTlsMaterial(options: {
  stateDir: string;
  hostname: string;
  configured?: { certFile: string; keyFile: string } | undefined;
  logger: Logger;
}): Promise<TlsMaterial> {
  if (options.configured) {
    const [cert, key] = await Promise.all([
      readFile(options.configured.certFile, "utf8"),
      readFile(options.configured.keyFile, "utf8"),
    ]);
    new X509Certificate(cert); // fail at start-up, not at the first handshake
    return { cert, key, certFile: options.configured.certFile, isGenerated: false };
  }
  const dir = path.join(options.stateDir, "tls");
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  const existing = await readPair(certFile, keyFile);
  if (existing) {
    let daysLeft = -1;
    try {
      daysLeft = certificateFacts(existing.cert).daysLeft;
    } catch (error) {
      options.logger.warn({ certFile, err: error }, "self-signed certificate is unreadable; replacing it");
    }
    if (daysLeft > RENEW_SELF_SIGNED_DAYS) return { ...existing, certFile, isGenerated: true };
    options.logger.warn({ certFile, daysLeft }, "self-signed certificate expires soon; renewing");
  }
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + SELF_SIGNED_VALID_DAYS * 86_400_000);
  const pems = await generate([{ name: "commonName", value: options.hostname }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: options.hostname }] },
    ],
  });
  await mkdirDurable(dir, 0o700);
  await writeFileAtomic(keyFile, pems.private, { mode: 0o600 });
  await writeFileAtomic(certFile, pems.cert, { mode: 0o644 });
  options.logger.info({ certFile, hostname: options.hostname }, "generated a self-signed certificate");
  return { cert: pems.cert, key: pems.private, certFile, isGenerated: true };
}

export function certificateFacts(certPem: string, now = new Date()): CertificateFacts {
  const cert = new X509Certificate(certPem);
  const notAfter = new Date(cert.validTo);
  return {
    subject: cert.subject.replace(/\n/g, ", "),
    // Not checkIssued(): OpenSSL also wants keyCertSign there, which a leaf certificate rightly lacks.
    selfSigned: cert.issuer === cert.subject && cert.verify(cert.publicKey),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
  };
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string } | null> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]);
    return { cert, key };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
