// An audit event's before/after as a person reads it: each setting by its label and each value by its
// label ("Require SMTP authentication: On → Off"), a value looser than the secure default marked as such,
// and the console's bookkeeping (ids, revision numbers) left out.
import {
  fieldLabel,
  isLooserThanDefault,
  settings,
  settingValueLabel,
  type PolicyKey,
} from "@mailwarden/policy";
import { sameValue } from "@mailwarden/policy";
import { displayDomainsIn } from "~/lib/format";
import { LooserThanDefaultBadge } from "./looser-than-default-badge";

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

function valueText(value: unknown): string {
  if (value === undefined) return "—";
  if (typeof value === "string") return displayDomainsIn(value);
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
        label: setting?.label ?? fieldLabel(key),
        before: hasBefore ? valueText(b[key]) : b && setting ? "Inherited" : null,
        after: hasAfter ? valueText(a[key]) : a && setting ? "Inherited" : null,
        isLooser: setting !== null && hasAfter && isLooserThanDefault(key as PolicyKey, a[key] as never),
      };
    });
}

export function AuditChanges({ before, after }: { before: unknown; after: unknown }) {
  const changes = auditChanges(before, after);
  if (!changes.length) return null;
  return (
    <ul className="mt-1 space-y-0.5 text-xs text-slate-600" data-testid="audit-changes">
      {changes.map((change) => (
        <li key={change.key} className="break-words">
          <span className="font-medium text-slate-700">{change.label}:</span>{" "}
          {change.before !== null && change.after !== null ? (
            <>
              {change.before} → {change.after}
            </>
          ) : (
            (change.after ?? change.before)
          )}
          {change.isLooser && <LooserThanDefaultBadge className="ml-1.5" />}
        </li>
      ))}
    </ul>
  );
}
