// How any policy value reads to a person ("On", "Reject failures (550)", "12+ chars, 3 classes"), for
// the console's editor and cards and for the audit log's summaries, so a change reads the same in both.
import { choiceLabel } from "./choices";

/** "minLength" → "Min length". */
export function fieldLabel(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function settingValueLabel(value: unknown): string {
  if (value === true) return "On";
  if (value === false) return "Off";
  if (value === null || value === undefined) return "Disabled";
  if (Array.isArray(value)) {
    if (value.length === 0) return "None";
    if (value.every((v) => typeof v === "number")) return `${value.join(", ")} min`;
    if (value.some((v) => v && typeof v === "object")) return entriesLabel(value as object[]);
    return value.join(", ");
  }
  if (typeof value === "string") return choiceLabel(value);
  if (value && typeof value === "object" && "minLength" in value && "minClasses" in value) {
    const p = value as { minLength: number; minClasses: number };
    return `${p.minLength}+ chars, ${p.minClasses} classes`;
  }
  if (value && typeof value === "object") {
    return Object.entries(value)
      .map(([k, v]) => `${fieldLabel(k)}: ${typeof v === "number" ? v : settingValueLabel(v)}`)
      .join(" · ");
  }
  return String(value);
}

/** A list of entries (the IP lists): the first few by their address and reason, then a count. */
function entriesLabel(entries: object[]): string {
  const shown = entries.slice(0, 3).map((entry) => {
    const { network, reason } = entry as { network?: unknown; reason?: unknown };
    return typeof network === "string"
      ? `${network}${typeof reason === "string" ? ` (${reason})` : ""}`
      : settingValueLabel(entry);
  });
  const more = entries.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}
