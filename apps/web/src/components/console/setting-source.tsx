// Where a policy value comes from: set at this level, inherited from above, or the secure default; and
// how any policy value reads to a person.
import { Badge } from "../ui/badge";

export function SettingSource({ source, setHere }: { source: string; setHere: boolean }) {
  if (setHere) return <Badge tone="blue">Set here</Badge>;
  if (source === "default") return <Badge>Secure default</Badge>;
  return <Badge>Inherited from {source}</Badge>;
}

// How a value reads lives in the policy package, shared with the audit log's summaries.
export { fieldLabel, settingValueLabel as formatSettingValue } from "@mailwarden/policy";
