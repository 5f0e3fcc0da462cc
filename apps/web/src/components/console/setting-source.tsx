// Where a policy value comes from: set at this level, inherited from above, or the secure default; and
// how any policy value reads to a person.
import { choiceLabel } from "@mailwarden/policy";
import { Badge } from "../ui/badge";

export function SettingSource({ source, setHere }: { source: string; setHere: boolean }) {
  if (setHere) return <Badge tone="blue">Set here</Badge>;
  if (source === "default") return <Badge>Secure default</Badge>;
  return <Badge>Inherited from {source}</Badge>;
}

/** "minLength" → "Min length". */
export function fieldLabel(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function formatSettingValue(value: unknown): string {
  if (value === true) return "On";
  if (value === false) return "Off";
  if (value === null) return "Disabled";
  if (Array.isArray(value)) {
    if (value.length === 0) return "None";
    if (value.every((v) => typeof v === "number")) return `${value.join(", ")} min`;
    if (value.some((v) => v && typeof v === "object")) return formatEntries(value as object[]);
    return value.join(", ");
  }
  if (typeof value === "string") return choiceLabel(value);
  if (value && typeof value === "object" && "minLength" in value && "minClasses" in value) {
    const p = value as { minLength: number; minClasses: number };
    return `${p.minLength}+ chars, ${p.minClasses} classes`;
  }
  if (value && typeof value === "object") {
    return Object.entries(value)
      .map(([k, v]) => `${fieldLabel(k)}: ${typeof v === "number" ? v : formatSettingValue(v)}`)
      .join(" · ");
  }
  return JSON.stringify(value);
}

/** A list of entries (the IP lists): the first few by their address and reason, then a count. */
function formatEntries(entries: object[]): string {
  const shown = entries.slice(0, 3).map((entry) => {
    const { network, reason } = entry as { network?: unknown; reason?: unknown };
    return typeof network === "string"
      ? `${network}${typeof reason === "string" ? ` (${reason})` : ""}`
      : formatSettingValue(entry);
  });
  const more = entries.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}
