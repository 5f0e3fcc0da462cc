// Dates and durations as people read them.
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
