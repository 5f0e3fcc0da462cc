// A refused policy save, split by the setting each part concerns, so every message appears under its own
// setting. The server names the setting three ways (server/services/policy.ts and the policy router): the
// keys in the error's `details` (a lock, an unconfirmed loosening), the setting's label at the start of a
// sentence ("IP blacklist — Entry 1: …", "Relay cannot be set per domain."), or its key as the start of
// a schema path ("ipBlacklist.0.network: …").
import { TRPCClientError } from "@trpc/client";
import type { PolicyKey } from "@mailwarden/policy";

export interface SettingErrors {
  byKey: Partial<Record<PolicyKey, string>>;
  /** What no setting owns, said plainly. */
  general: string | null;
}

const SOMETHING_WRONG = "The change could not be saved. Check the values and try again.";

/** A message fit to show, or a plain one when the server sent a validator's raw output (JSON). */
function readable(message: string): string {
  const trimmed = message.trim();
  return trimmed.startsWith("[") || trimmed.startsWith("{") || !trimmed ? SOMETHING_WRONG : trimmed;
}

export function settingErrors(
  error: unknown,
  settings: readonly { key: PolicyKey; label: string }[],
): SettingErrors {
  if (!error) return { byKey: {}, general: null };
  const message = error instanceof Error ? readable(error.message) : SOMETHING_WRONG;
  const details =
    error instanceof TRPCClientError
      ? ((error.data as { details?: unknown } | undefined)?.details as string[] | null | undefined)
      : undefined;
  const known = settings.filter((s) => !details?.length || details.includes(s.key));

  // Where each setting is named: its label anywhere, its key at the start of a "; "-separated part.
  // Longest labels first, so "DNS blocklist zones" is not also read as "DNS blocklist…".
  const found: { key: PolicyKey; at: number; end: number; strip: string }[] = [];
  for (const s of [...known].sort((a, b) => b.label.length - a.label.length)) {
    const at = message.indexOf(s.label);
    if (at >= 0 && !found.some((f) => at < f.end && at + s.label.length > f.at)) {
      found.push({ key: s.key, at, end: at + s.label.length, strip: `${s.label} — ` });
    }
    for (const match of message.matchAll(new RegExp(`(^|; )(${s.key})[.:]`, "g"))) {
      const at = match.index + match[1]!.length;
      if (!found.some((f) => f.at === at)) found.push({ key: s.key, at, end: at, strip: `${s.key}: ` });
    }
  }
  found.sort((a, b) => a.at - b.at);

  const byKey: SettingErrors["byKey"] = {};
  found.forEach((f, i) => {
    const part = message
      .slice(f.at, found[i + 1]?.at ?? message.length)
      .replace(/;\s*$/, "")
      .trim();
    const text = part.startsWith(f.strip) ? part.slice(f.strip.length) : part;
    byKey[f.key] = byKey[f.key] ? `${byKey[f.key]} ${text}` : text;
  });
  // A lock or loosening refusal names its keys even when the message words them otherwise.
  for (const key of details ?? []) {
    if (!byKey[key as PolicyKey] && settings.some((s) => s.key === key)) byKey[key as PolicyKey] = message;
  }
  const isOwned = Object.keys(byKey).length > 0;
  return { byKey, general: isOwned ? null : message };
}

/** A schema's words for an empty or unreadable number, said as a person would. */
export function plainProblem(problem: string): string {
  return problem.replace(/Invalid input: expected number, received (null|NaN)/g, "Enter a number");
}
