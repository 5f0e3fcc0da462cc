// The Add-server dialog warns when install commands would name an address only this machine reaches.
import { describe, expect, it } from "vitest";
import { consoleAddress, isLoopbackUrl } from "./servers";

describe("isLoopbackUrl", () => {
  it.each([
    "http://localhost:3000",
    "http://LOCALHOST",
    "http://console.localhost:3000",
    "http://127.0.0.1:3000",
    "https://127.8.9.10",
    "http://[::1]:3000",
    "http://0.0.0.0:3000",
    "http://[::]:3000",
    "http://[::ffff:127.0.0.1]:3000",
  ])("%s is loopback", (url) => expect(isLoopbackUrl(url)).toBe(true));

  it.each([
    "https://console.example.net",
    "http://192.168.1.10:3000",
    "http://10.0.0.5",
    "http://[2001:db8::1]:3000",
    "http://localhost.example.net",
    "http://128.0.0.1",
    "not a url",
  ])("%s is not", (url) => expect(isLoopbackUrl(url)).toBe(false));

  it("reports the address with the verdict", () => {
    expect(consoleAddress("http://localhost:3000")).toEqual({
      url: "http://localhost:3000",
      isLoopback: true,
    });
  });
});
