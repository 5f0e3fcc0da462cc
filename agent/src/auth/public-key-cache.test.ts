// The parsed-key cache of the authentication threads must never mix keys up: a signature verifies
// against its own key and fails against another, however often either was seen before, in every form
// mailauth hands keys over (DER objects to createPublicKey, PEM strings to verify).
import crypto, { generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { installPublicKeyCache } from "./public-key-cache";

const first = generateKeyPairSync("rsa", { modulusLength: 2048 });
const second = generateKeyPairSync("rsa", { modulusLength: 2048 });
const data = Buffer.from("DKIM-Signature header, canonicalized");
const signature = crypto.sign("sha256", data, first.privateKey);
const der = (key: crypto.KeyObject) => ({
  key: key.export({ type: "spki", format: "der" }),
  format: "der" as const,
  type: "spki" as const,
});
const pem = (key: crypto.KeyObject) => key.export({ type: "pkcs1", format: "pem" }) as string;

beforeAll(() => installPublicKeyCache());

describe("the parsed public key cache", () => {
  it("gives the same key object for the same key bytes, and a different one for another key", () => {
    const a = crypto.createPublicKey(der(first.publicKey));
    expect(crypto.createPublicKey(der(first.publicKey))).toBe(a);
    const b = crypto.createPublicKey(der(second.publicKey));
    expect(b).not.toBe(a);
    expect(b.equals(second.publicKey)).toBe(true);
  });

  it("verifies against the right key only, again and again", () => {
    for (let round = 0; round < 3; round++) {
      expect(crypto.verify("sha256", data, pem(first.publicKey), signature)).toBe(true);
      expect(crypto.verify("sha256", data, pem(second.publicKey), signature)).toBe(false);
      expect(crypto.verify("sha256", Buffer.from("changed"), pem(first.publicKey), signature)).toBe(false);
    }
  });

  it("still reports a key that does not parse", () => {
    expect(() =>
      crypto.createPublicKey({ key: Buffer.from("not a key"), format: "der", type: "spki" }),
    ).toThrow();
  });
});
