// IDN domain names: the console's conversions agree with node's own (url.domainToASCII/ToUnicode).
import { domainToASCII, domainToUnicode } from "node:url";
import { describe, expect, it } from "vitest";
import { asciiDomain, unicodeDomain } from "./domain-name";

const names = [
  "bücher.example",
  "Bücher.Example.",
  "müller-straße.de",
  "пример.рф",
  "例え.テスト",
  "ドメイン名例.jp",
  "mañana.com",
  "ακρόπολη.gr",
  "xn--bcher-kva.example",
  "plain-ascii.example.com",
];

describe("IDN domain names", () => {
  it("stores what node stores, and shows what node shows", () => {
    for (const name of names) {
      const ascii = asciiDomain(name);
      expect(ascii, name).toBe(domainToASCII(name.trim().replace(/\.$/, "")));
      expect(unicodeDomain(ascii!), name).toBe(domainToUnicode(ascii!));
    }
    expect(asciiDomain("bücher.example")).toBe("xn--bcher-kva.example");
    expect(unicodeDomain("xn--bcher-kva.example")).toBe("bücher.example");
  });

  it("refuses what is not a domain name", () => {
    for (const raw of [
      "",
      "localhost",
      "a b.example",
      "user@example.com",
      "example.com/x",
      "-x.example",
      "1.2.3.4",
      "example.com:25",
      "ex..ample.com",
    ]) {
      expect(asciiDomain(raw), raw).toBeNull();
    }
  });

  it("leaves a label that does not decode as it is", () => {
    expect(unicodeDomain("xn--.example")).toBe("xn--.example");
    expect(unicodeDomain("xn--zzzzzzzzzzzzzzzzzz.example")).toBe("xn--zzzzzzzzzzzzzzzzzz.example");
  });
});

describe("domain names in text", () => {
  it("shows every punycode label of a sentence in Unicode", async () => {
    const { displayDomainsIn, displayAddress } = await import("./format");
    expect(displayDomainsIn("Mailbox info@xn--bcher-kva.example created on mx.xn--e1afmkfd.xn--p1ai")).toBe(
      "Mailbox info@bücher.example created on mx.пример.рф",
    );
    expect(displayAddress("info@xn--bcher-kva.example")).toBe("info@bücher.example");
  });
});
