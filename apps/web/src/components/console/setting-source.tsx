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
    return value.every((v) => typeof v === "number") ? `${value.join(", ")} min` : value.join(", ");
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
