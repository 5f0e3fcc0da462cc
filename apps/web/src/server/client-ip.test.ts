// The address rate limits and sessions use: the socket's peer, or behind a trusted proxy the client the
// proxy saw — never an address a client forged in X-Forwarded-For.
import { describe, expect, it } from "vitest";
import { clientAddress, parseTrustedProxies } from "./client-ip";

const proxies = parseTrustedProxies("10.0.0.0/8, 127.0.0.1, ::1");

describe("clientAddress", () => {
  it("uses the socket's peer when no proxy is trusted, whatever the header says", () => {
    expect(clientAddress("203.0.113.9", "198.51.100.1", null)).toBe("203.0.113.9");
    expect(clientAddress("::ffff:203.0.113.9", undefined, null)).toBe("203.0.113.9");
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(clientAddress("203.0.113.9", "198.51.100.1", proxies)).toBe("203.0.113.9");
  });

  it("takes the right-most hop that is not a trusted proxy", () => {
    expect(clientAddress("127.0.0.1", "198.51.100.1", proxies)).toBe("198.51.100.1");
    expect(clientAddress("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.0.0.7", proxies)).toBe("198.51.100.1");
    expect(clientAddress("::1", "2001:db8::5", proxies)).toBe("2001:db8::5");
  });

  it("stops at a hop that is not an address", () => {
    expect(clientAddress("127.0.0.1", "garbage, 10.0.0.2", proxies)).toBe("10.0.0.2");
  });

  it("refuses a setting that is not an address or CIDR", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/prefix/);
    expect(() => parseTrustedProxies("proxy.local")).toThrow(/not an IP/);
  });
});
