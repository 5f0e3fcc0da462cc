// An audit event's before/after as a person reads it: each setting by its label and each value by its
// label ("Require SMTP authentication: On → Off"), a value looser than the secure default flagged, and
// the console's bookkeeping (ids, revision numbers) left out. Rendered by components/console/audit-changes.
import {
  fieldLabel,
  isLooserThanDefault,
  sameValue,
  settings,
  settingValueLabel,
  type PolicyKey,
} from "@mailwarden/policy";
import { displayDomainsIn } from "./format";

/** Fields that only mean something to the console itself. */
function isBookkeeping(key: string): boolean {
  return /revision$/i.test(key) || /Id$/.test(key) || key === "id";
}

function isSetting(key: string): key is PolicyKey {
  return Object.hasOwn(settings, key);
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** Names of fields other than settings where the field's own name does not read well. */
const fieldLabels: Record<string, string> = { require2fa: "Two-factor authentication required" };

function valueText(value: unknown, isSettingValue: boolean): string {
  if (value === undefined) return "—";
  // A setting's value by its label ("reject-fail" → "Reject failures (550)"); any other text as it is,
  // with the domains in it as their owners write them.
  if (typeof value === "string" && !isSettingValue) return displayDomainsIn(value);
  return settingValueLabel(value);
}

export interface AuditChange {
  key: string;
  label: string;
  before: string | null;
  after: string | null;
  isLooser: boolean;
}

/** The fields of before/after that changed (all of them when only one side exists), labelled. */
export function auditChanges(before: unknown, after: unknown): AuditChange[] {
  const b = asRecord(before);
  const a = asRecord(after);
  if (!b && !a) return [];
  const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])];
  return keys
    .filter((key) => !isBookkeeping(key))
    .filter((key) => !b || !a || !sameValue(b[key], a[key]))
    .map((key) => {
      const setting = isSetting(key) ? settings[key] : null;
      const hasBefore = b !== null && key in b;
      const hasAfter = a !== null && key in a;
      return {
        key,
        label: setting?.label ?? fieldLabels[key] ?? fieldLabel(key),
        before: hasBefore ? valueText(b[key], setting !== null) : b && setting ? "Inherited" : null,
        after: hasAfter ? valueText(a[key], setting !== null) : a && setting ? "Inherited" : null,
        isLooser: setting !== null && hasAfter && isLooserThanDefault(key as PolicyKey, a[key] as never),
      };
    });
}
