// Which link hosts the URI blocklist rule (row 18) gets from a message, and which names it asks.
import { describe, expect, it } from "vitest";
import { blocklistNames, linkHosts, MAX_SCANNED_BYTES, MAX_URI_HOSTS } from "./message-uris";

function message(body: string, headers = "From: a@b.test\r\nSubject: s\r\n"): Buffer {
  return Buffer.from(`${headers}\r\n${body}`);
}

describe("linkHosts", () => {
  it("finds http, https and www. links, without user info, case-folded", () => {
    expect(
      linkHosts(message("go http://A.Example.COM/x or https://user:pw@b.example.org:8080 or www.c.test!")),
    ).toEqual(["a.example.com", "b.example.org", "c.test"]);
  });

  it("reads quoted-printable and base64 bodies, and ignores header fields", () => {
    const base64 = Buffer.from(`<a href="https://hidden.example.com/">x</a>${" ".repeat(60)}`)
      .toString("base64")
      .replace(/.{76}/g, "$&\r\n");
    const hosts = linkHosts(
      message(
        `soft=\r\nbreak: http://q=\r\np.test/\r\n\r\n${base64}\r\n`,
        "List-Unsubscribe: <https://list.test/>\r\n",
      ),
    );
    expect(hosts).toContain("qp.test");
    expect(hosts).toContain("hidden.example.com");
    expect(hosts).not.toContain("list.test");
  });

  it("reads only the first MAX_SCANNED_BYTES of the body", () => {
    const padding = "x".repeat(MAX_SCANNED_BYTES);
    expect(linkHosts(message(`http://early.test/ ${padding} http://late.test/`))).toEqual(["early.test"]);
  });

  it(`keeps at most ${MAX_URI_HOSTS} hosts`, () => {
    const body = Array.from({ length: 50 }, (_, index) => `http://h${index}.test/`).join(" ");
    expect(linkHosts(message(body))).toHaveLength(MAX_URI_HOSTS);
  });
});

describe("blocklistNames", () => {
  it("asks the last two and three labels, and IPv4 addresses reversed", () => {
    expect(blocklistNames("www.shop.example.co.uk")).toEqual(["co.uk", "example.co.uk"]);
    expect(blocklistNames("example.com")).toEqual(["example.com"]);
    expect(blocklistNames("192.0.2.7")).toEqual(["7.2.0.192"]);
  });
});
