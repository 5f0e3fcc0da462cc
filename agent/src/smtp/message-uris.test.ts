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

  it("reads quoted-printable and base64 parts, and ignores header fields", () => {
    const base64 = Buffer.from(`<a href="https://hidden.example.com/">x</a>${" ".repeat(60)}`)
      .toString("base64")
      .replace(/.{76}/g, "$&\r\n");
    const hosts = linkHosts(
      message(
        [
          "--b",
          "Content-Type: text/plain",
          "Content-Transfer-Encoding: quoted-printable",
          "",
          "soft=\r\nbreak: http://q=\r\np.test/",
          "--b",
          "Content-Type: text/html",
          "Content-Transfer-Encoding: base64",
          "",
          base64,
          "--b--",
          "",
        ].join("\r\n"),
        'List-Unsubscribe: <https://list.test/>\r\nContent-Type: multipart/alternative; boundary="b"\r\n',
      ),
    );
    expect(hosts).toContain("qp.test");
    expect(hosts).toContain("hidden.example.com");
    expect(hosts).not.toContain("list.test");
  });

  it("reads a single-part quoted-printable message, declared in its own header", () => {
    const hosts = linkHosts(
      message("click http://sin=\r\ngle.test/ now\r\n", "Content-Transfer-Encoding: quoted-printable\r\n"),
    );
    expect(hosts).toContain("single.test");
  });

  it("leaves undeclared text as it is: base64-looking lines of a plain message are not decoded", () => {
    const base64 = Buffer.from(`https://not-a-link.example.com/ ${" ".repeat(60)}`)
      .toString("base64")
      .replace(/.{76}/g, "$&\r\n");
    expect(linkHosts(message(`${base64}\r\nsee http://plain.test/\r\n`))).toEqual(["plain.test"]);
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
