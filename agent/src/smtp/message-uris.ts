// The link domains of a message, for the URI blocklist rule (row 18). Not a full MIME parser: the body
// is scanned as sent, then once more with quoted-printable undone, and every base64 block is decoded
// and scanned too — enough to see the links of text and HTML parts in the encodings mail really uses.
// The work is bounded: only the first MAX_SCANNED_BYTES of the body are read (spam puts its links up
// front; a 25 MB attachment is not worth decoding), and a message stuffed with links cannot make us send
// more than MAX_URI_HOSTS hosts' worth of DNS queries.
import { headerEnd } from "./message-headers";

/** At most this many distinct host names are taken from one message. */
export const MAX_URI_HOSTS = 20;
export const MAX_SCANNED_BYTES = 1024 * 1024;

const urlHost =
  /\b(?:https?:\/\/(?:[^\s/?#@"'<>]+@)?|www\.)((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]|(?:\d{1,3}\.){3}\d{1,3})/gi;
const base64Block = /(?:^[A-Za-z0-9+/]{16,}={0,2}\r?\n){2,}/gm;
const base64Declared = /^content-transfer-encoding:[ \t]*"?base64/im;
const quotedPrintableDeclared = /^content-transfer-encoding:[ \t]*"?quoted-printable/im;

/** Distinct lower-cased host names (or IPv4 addresses) of the http(s) and www. links in the body. */
export function linkHosts(message: Buffer): string[] {
  const start = headerEnd(message);
  // latin1 maps each byte to one character, so the body starts at the same offset in the text
  const scanned = message.subarray(0, start + MAX_SCANNED_BYTES).toString("latin1");
  const body = scanned.slice(start);
  const texts = [body];
  // An encoded part declares its encoding (in the message's or the part's header): only then is it worth
  // undoing, which keeps plain mail — most of it — to one pass over the body.
  if (quotedPrintableDeclared.test(scanned)) texts.push(undoQuotedPrintable(body));
  if (base64Declared.test(scanned)) {
    for (const block of body.match(base64Block) ?? []) {
      texts.push(Buffer.from(block.replace(/\s+/g, ""), "base64").toString("latin1"));
    }
  }
  const hosts = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(urlHost)) {
      const host = match[1]!.toLowerCase();
      // "www.example.com" found after "http://" is the same link; both spellings name the same host.
      hosts.add(host);
      if (hosts.size >= MAX_URI_HOSTS) return [...hosts];
    }
  }
  return [...hosts];
}

/**
 * The names to look up in a URI blocklist for a host: an IPv4 address reversed (as SURBL lists them),
 * otherwise the domain at its last two and last three labels, which covers "example.com" and
 * "example.co.uk" without a public-suffix list.
 */
export function blocklistNames(host: string): string[] {
  if (/^(?:\d{1,3}\.){3}\d{1,3}$/.test(host)) return [host.split(".").reverse().join(".")];
  const labels = host.split(".");
  const names = [labels.slice(-2).join(".")];
  if (labels.length >= 3) names.push(labels.slice(-3).join("."));
  return names;
}

function undoQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
