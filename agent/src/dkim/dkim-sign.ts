// POLICY.md row 11: mail an authenticated user of a local domain sends to the outside world is signed
// with that domain's key (d=<domain>) before it is queued, so receivers — and DMARC — can verify it;
// so are the copies a mailing list of a local domain sends to remote members (d=<list domain>, List-Id
// and List-Post signed too, as Mailman does). A signature that cannot be made fails the message (451)
// rather than letting it leave unsigned.
import { dkimSign, type DKIMSignOptions } from "mailauth";
import { findDomain, splitAddress, type ActiveConfig } from "../smtp/active-config";
import type { DkimKeyStore } from "./dkim-keys";

/** Headers signed when present; From is required by DKIM, the rest are what a forger would change. */
const SIGNED_HEADERS = [
  "From",
  "Sender",
  "Reply-To",
  "Subject",
  "Date",
  "Message-ID",
  "To",
  "Cc",
  "MIME-Version",
  "Content-Type",
  "Content-Transfer-Encoding",
  "In-Reply-To",
  "References",
];

/**
 * The domain whose key signs mail of this address (an authenticated user, a list), or null when its
 * domain is not local (any more) or has DKIM signing turned off.
 */
export function signingDomainFor(config: ActiveConfig, address: string): string | null {
  const domain = findDomain(config, splitAddress(address).domain);
  return domain?.policy.dkimSigning ? domain.name : null;
}

/** Local domains that sign their outbound mail: their public keys go into the posture. */
export function signingDomains(config: ActiveConfig): string[] {
  return [...config.domains.values()]
    .filter((domain) => domain.policy.dkimSigning)
    .map((domain) => domain.name);
}

/** A signature that can never be made for this message (retrying would not help). */
export class PermanentSigningError extends Error {
  override name = "PermanentSigningError";
}

/** The reply to a message that has to leave signed and never can be (it has no From header). */
export const UNSIGNABLE_REPLY = {
  code: 550,
  message: "5.6.0 A message needs a From header to be signed and sent",
} as const;

/** A list's copies: its own header fields are signed as well. */
export const LIST_SIGNED_HEADERS = [...SIGNED_HEADERS, "List-Id", "List-Post", "Precedence"];

/** The message with a DKIM-Signature header on top. */
export async function signMessage(
  keys: DkimKeyStore,
  domain: string,
  message: Buffer,
  headerList: readonly string[] = SIGNED_HEADERS,
): Promise<Buffer> {
  const key = await keys.keyFor(domain);
  // mailauth 7.1 signs only what is in `signatureData`, whatever its typings say about top-level keys.
  const options = {
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKeyPem }],
    headerList: [...headerList],
  } as unknown as DKIMSignOptions;
  const result = await dkimSign(message, options);
  // mailauth reports problems in `errors` (and returns no signature) rather than throwing.
  if (!result.signatures) {
    const reasons = result.errors.map((entry) => entry.err.code ?? entry.err.message);
    const text = `DKIM signing for ${domain} failed: ${reasons.join("; ") || "no signature produced"}`;
    // A message without a From header cannot be signed however often it is retried.
    throw reasons.includes("ENOFROM") ? new PermanentSigningError(text) : new Error(text);
  }
  return Buffer.concat([Buffer.from(result.signatures), message]);
}
