// Where a policy value comes from: set at this level, inherited from above, or the secure default.
import { choiceLabel } from "@mailwarden/policy";
import { Badge } from "../ui/badge";

export function SettingSource({ source, setHere }: { source: string; setHere: boolean }) {
  if (setHere) return <Badge tone="blue">Set here</Badge>;
  if (source === "default") return <Badge>Secure default</Badge>;
  return <Badge>Inherited from {source}</Badge>;
}

export function formatSettingValue(value: unknown): string {
  if (value === true) return "On";
  if (value === false) return "Off";
  if (value === null) return "Disabled";
  if (Array.isArray(value)) return `${value.join(", ")} min`;
  if (typeof value === "string") return choiceLabel(value);
  if (value && typeof value === "object" && "minLength" in value) {
    const p = value as { minLength: number; minClasses: number };
    return `${p.minLength}+ chars, ${p.minClasses} classes`;
  }
  return JSON.stringify(value);
}
