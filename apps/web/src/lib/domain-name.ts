// Domain names with letters beyond ASCII (IDN, "bücher.example"): stored, matched and sent to agents in
// their ASCII form ("xn--bcher-kva.example", what DNS and SMTP use), shown to people in Unicode. Runs in
// the browser and on the server alike: the WHATWG URL parser (the same UTS #46 mapping as node's
// url.domainToASCII) for the way in, RFC 3492 decoding for the way out (browsers have no domainToUnicode).

/** A domain name as DNS has it: ASCII labels, lower case, a letter or `xn--` top-level label. */
export const asciiDomainPattern =
  /^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** What a person typed ("Bücher.Example.") as the stored ASCII name, or null if it is no domain name. */
export function asciiDomain(raw: string): string | null {
  const value = raw.trim().replace(/\.$/, "");
  // Anything that would make the URL parser read a user, port, path or query is not a domain name.
  if (!value || /[\s/\\@:?#%[\]]/.test(value)) return null;
  let host: string;
  try {
    host = new URL(`http://${value}`).hostname;
  } catch {
    return null;
  }
  return asciiDomainPattern.test(host) ? host : null;
}

/** "xn--bcher-kva.example" → "bücher.example"; labels that do not decode are left as they are. */
export function unicodeDomain(ascii: string): string {
  return ascii
    .split(".")
    .map((label) => (label.toLowerCase().startsWith("xn--") ? (decodeLabel(label.slice(4)) ?? label) : label))
    .join(".");
}

// RFC 3492 (Punycode) parameters.
const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;

function adapt(delta: number, points: number, isFirst: boolean): number {
  let d = isFirst ? Math.floor(delta / DAMP) : Math.floor(delta / 2);
  d += Math.floor(d / points);
  let k = 0;
  while (d > ((BASE - T_MIN) * T_MAX) / 2) {
    d = Math.floor(d / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}

function digitOf(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 26;
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61;
  return BASE;
}

function decodeLabel(input: string): string | null {
  const output: number[] = [];
  const basicEnd = Math.max(input.lastIndexOf("-"), 0);
  for (let j = 0; j < basicEnd; j++) {
    const code = input.charCodeAt(j);
    if (code >= 0x80) return null;
    output.push(code);
  }
  let n = 128;
  let bias = 72;
  let i = 0;
  for (let index = basicEnd > 0 ? basicEnd + 1 : 0; index < input.length;) {
    const before = i;
    for (let w = 1, k = BASE; ; k += BASE) {
      if (index >= input.length) return null;
      const digit = digitOf(input.charCodeAt(index++));
      if (digit >= BASE) return null;
      i += digit * w;
      const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
      if (digit < t) break;
      w *= BASE - t;
      if (w > 0x10ffff * BASE) return null;
    }
    const length = output.length + 1;
    bias = adapt(i - before, length, before === 0);
    n += Math.floor(i / length);
    i %= length;
    if (n > 0x10ffff) return null;
    output.splice(i++, 0, n);
  }
  // An IDN label holds at least one letter beyond ASCII; anything else is not what it claims to be.
  return output.some((code) => code >= 0x80) ? String.fromCodePoint(...output) : null;
}
