// A domain's DKIM key is made once, kept private (0600) and survives a restart with the same selector;
// a signature made with it verifies against the public key the store reports.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { dkimVerify } from "mailauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../log";
import { tempDir } from "../test-support/fixtures";
import { DkimKeyStore, dkimDir } from "./dkim-keys";
import { PermanentSigningError, signMessage } from "./dkim-sign";

let state: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  state = await tempDir();
});
afterAll(async () => state?.remove());

describe("DkimKeyStore", () => {
  it("generates one RSA 2048 key per domain on first need, 0600, reused after a restart", async () => {
    const store = new DkimKeyStore(state.dir, silentLogger());
    const [first, concurrent] = await Promise.all([
      store.keyFor("Example.Test"),
      store.keyFor("example.test"),
    ]);
    expect(concurrent).toBe(first);
    expect(first.selector).toMatch(/^mw\d{6}-[0-9a-f]{6}$/);
    // 2048-bit RSA SPKI in DER is 294 bytes
    expect(Buffer.from(first.publicKey, "base64")).toHaveLength(294);
    const keyFile = path.join(dkimDir(state.dir), "example.test.key");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(dkimDir(state.dir))).mode & 0o777).toBe(0o700);

    const restarted = await new DkimKeyStore(state.dir, silentLogger()).keyFor("example.test");
    expect(restarted).toMatchObject({ selector: first.selector, publicKey: first.publicKey });
    expect((await readdir(dkimDir(state.dir))).sort()).toEqual(["example.test.json", "example.test.key"]);
  });

  it("signs so that the reported public key verifies the message", async () => {
    const store = new DkimKeyStore(state.dir, silentLogger());
    const [reported] = await store.publicKeys(["example.test"]);
    const signed = await signMessage(
      store,
      "example.test",
      Buffer.from("From: alice@example.test\r\nTo: x@remote.test\r\nSubject: hi\r\n\r\nhello\r\n"),
    );
    const resolver = async (name: string) => {
      if (name !== `${reported!.selector}._domainkey.example.test`)
        throw Object.assign(new Error(), { code: "ENOTFOUND" });
      return [[`v=DKIM1; k=rsa; p=${reported!.publicKey}`]];
    };
    const result = await dkimVerify(signed, { resolver });
    expect(result.results.map((r) => [r.signingDomain, r.status.result])).toEqual([["example.test", "pass"]]);
  });

  it("refuses for good to sign a message without From", async () => {
    const store = new DkimKeyStore(state.dir, silentLogger());
    await expect(
      signMessage(store, "example.test", Buffer.from("Subject: x\r\n\r\nno from\r\n")),
    ).rejects.toBeInstanceOf(PermanentSigningError);
  });
});
