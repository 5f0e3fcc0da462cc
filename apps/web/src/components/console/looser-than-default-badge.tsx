// The mark of a setting whose value is less secure than its secure default, the same wherever the
// setting shows (policy editor, its own cards, audit log); the comparison lives in @mailwarden/policy.
import { isLooserThanDefault, type PolicyKey } from "@mailwarden/policy";
import { Badge } from "../ui/badge";

export function LooserThanDefaultBadge({ className }: { className?: string }) {
  return (
    <Badge
      tone="amber"
      className={className}
      title="Less secure than Mailwarden's secure default for this setting."
      data-testid="looser-than-default"
    >
      Looser than secure default
    </Badge>
  );
}

/** The badge if `value` is looser than the secure default of `settingKey`, else nothing. */
export function LooserThanDefault({ settingKey, value }: { settingKey: PolicyKey; value: unknown }) {
  return isLooserThanDefault(settingKey, value as never) ? <LooserThanDefaultBadge /> : null;
}
