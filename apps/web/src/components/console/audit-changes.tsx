// An audit event's before/after in the audit log, as lib/audit-changes.ts words it, with the "Looser than
// secure default" mark where a value is less secure than the default.
import { auditChanges } from "~/lib/audit-changes";
import { LooserThanDefaultBadge } from "./looser-than-default-badge";

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
