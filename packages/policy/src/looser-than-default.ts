// "Looser than secure default": the mark a setting carries wherever it is shown (the policy editor, its
// own cards, the audit log) when its value is less secure than the catalogue's default. The comparison
// is the one that asks for confirmation before loosening (isLoosening), taken from the default.
import { isLoosening, settings } from "./catalogue";
import type { Policy, PolicyKey } from "./schema";

export function isLooserThanDefault<K extends PolicyKey>(key: K, value: Policy[K]): boolean {
  const setting = settings[key];
  return setting !== undefined && isLoosening(key, setting.secureDefault, value);
}
