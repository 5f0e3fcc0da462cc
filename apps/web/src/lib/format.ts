// Dates, durations, roles and domain names as people read them.
import { unicodeDomain } from "./domain-name";

/** A stored (ASCII, punycode) domain name as its owner writes it: "xn--bcher-kva.example" → "bücher.example". */
export function displayDomain(name: string): string {
  return unicodeDomain(name);
}

/** A sentence that names domains (an audit summary): every punycode label in it shown in Unicode. */
export function displayDomainsIn(text: string): string {
  return text.replace(/(?<![a-z0-9-])xn--[a-z0-9-]+/gi, (label) => unicodeDomain(label));
}

/** An address with its domain shown as its owner writes it ("info@bücher.example"). */
export function displayAddress(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0
    ? displayDomain(address)
    : `${address.slice(0, at + 1)}${displayDomain(address.slice(at + 1))}`;
}

export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return "—";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function timeAgo(value: Date | string | null | undefined, now = Date.now()): string {
  if (!value) return "never";
  const seconds = Math.round((now - new Date(value).getTime()) / 1000);
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function roleLabel(role: string | null | undefined): string {
  switch (role) {
    case "PROVIDER_ADMIN":
      return "Provider admin";
    case "CUSTOMER_ADMIN":
      return "Customer admin";
    case "DOMAIN_ADMIN":
      return "Domain admin";
    case "AUDITOR":
      return "Auditor";
    default:
      return "—";
  }
}
