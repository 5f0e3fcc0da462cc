// One editor for every level (provider, customer, domain, server): every setting the catalogue allows at
// that level, grouped as an admin expects, each with its effective value, where it comes from, the
// secure default, its one-line why, a reset to the inherited value and the provider's lock. Inputs come
// from the zod schema (./setting-input), so settings added to the policy package appear here unchanged.
// Changes are drafts, marked on their row, until "Save changes" (./unsaved-changes): one save for all of
// them, checked first with each setting's own schema; loosening asks first and says what it exposes;
// locking asks first and says what it means for customers. The server enforces the same rules, and what
// it refuses is shown under the setting it concerns (./policy-errors).
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from "@tanstack/react-query";
import {
  fieldShape,
  isLoosening,
  sameValue,
  settingGroups,
  settingProblems,
  type PolicyKey,
  type PolicyLevel,
} from "@mailwarden/policy";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "~/lib/cn";
import { formatDateTime } from "~/lib/format";
import { errorMessage, useTRPC, useTRPCClient, type RouterOutputs } from "~/lib/trpc";
import { ConfirmLock } from "./confirm-lock";
import { ConfirmLoosening } from "./confirm-loosening";
import { LooserThanDefault } from "./looser-than-default-badge";
import { plainProblem, settingErrors } from "./policy-errors";
import { PropagateDialog } from "./propagate-dialog";
import { SettingInput } from "./setting-input";
import { SettingSource, formatSettingValue } from "./setting-source";
import { SaveBar, UnsavedChangesGuard } from "./unsaved-changes";

export type PolicyEditorTarget =
  | { level: "provider" }
  | { level: "customer"; customerId: string }
  | { level: "domain"; domainId: string }
  | { level: "server"; serverId: string };

type Setting = RouterOutputs["policy"]["domain"]["settings"][number];
type Patch = Record<string, unknown>;
/** A setting's unsaved value; `isReset` = clear this level's own value so it inherits again. */
type Draft = { value: unknown; isReset: boolean };
type Drafts = Partial<Record<PolicyKey, Draft>>;

const SAVED = "Saved. Connected agents apply it within seconds.";

/** The query and the save of one level, behind one shape. */
function usePolicyLevel(target: PolicyEditorTarget) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const options =
    target.level === "provider"
      ? trpc.policy.provider.queryOptions()
      : target.level === "customer"
        ? trpc.policy.customer.queryOptions({ customerId: target.customerId })
        : target.level === "domain"
          ? trpc.policy.domain.queryOptions({ domainId: target.domainId })
          : trpc.policy.server.queryOptions({ serverId: target.serverId });
  // Every level answers { settings } (one describe() on the server); the four option types differ only in input.
  const query = useQuery(options as unknown as UseQueryOptions<{ settings: Setting[] }>);
  // Every level's page and card reads from policy.*: refresh them all after a change.
  const invalidate = () => void qc.invalidateQueries({ queryKey: trpc.policy.pathKey() });
  const save = useMutation({
    mutationFn: ({ patch, confirmLoosening }: { patch: Patch; confirmLoosening: boolean }) => {
      const input = { patch: patch as never, confirmLoosening };
      switch (target.level) {
        case "provider":
          return client.policy.updateProvider.mutate(input);
        case "customer":
          return client.policy.updateCustomer.mutate({ ...input, customerId: target.customerId });
        case "domain":
          return client.policy.updateDomain.mutate({ ...input, domainId: target.domainId });
        case "server":
          return client.policy.updateServer.mutate({ ...input, serverId: target.serverId });
      }
    },
    onSuccess: invalidate,
  });
  const lock = useMutation(trpc.policy.setLock.mutationOptions({ onSuccess: invalidate }));
  return { query, save, lock };
}

export function PolicyEditor({
  target,
  canEdit,
  canLock = false,
  editedInOwnCard = [],
}: {
  target: PolicyEditorTarget;
  canEdit: boolean;
  /** Provider page, provider staff: lock toggles and "propagate to all domains". */
  canLock?: boolean;
  /** Settings the page edits in a card of their own (catch-all, server role): not shown twice. */
  editedInOwnCard?: readonly PolicyKey[];
}) {
  const { query, save, lock } = usePolicyLevel(target);
  const [drafts, setDrafts] = React.useState<Drafts>({});
  // Bumped to put every input back to the value it is given (after Discard or a save).
  const [formVersion, setFormVersion] = React.useState(0);
  // Bumped per setting to put one input back (after "Reset to inherited").
  const [rowVersion, setRowVersion] = React.useState<Partial<Record<PolicyKey, number>>>({});
  const [errors, setErrors] = React.useState<Partial<Record<PolicyKey, string>>>({});
  const [generalError, setGeneralError] = React.useState<string | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [savedKeys, setSavedKeys] = React.useState<PolicyKey[]>([]);
  const [loosening, setLoosening] = React.useState<{ label: string; risk: string }[] | null>(null);
  const [lockTarget, setLockTarget] = React.useState<Setting | null>(null);
  // A lock's outcome, shown on its row.
  const [lockNotice, setLockNotice] = React.useState<{ key: PolicyKey; text: string } | null>(null);
  const [propagateKey, setPropagateKey] = React.useState<PolicyKey | null>(null);
  const changeCount = Object.keys(drafts).length;
  const highlighted = useLinkedSetting(Boolean(query.data));

  if (query.error) return <Alert tone="error">{errorMessage(query.error)}</Alert>;
  if (!query.data) return <p className="text-sm text-slate-500">Loading policy…</p>;
  const every = query.data.settings;
  const all = every.filter((setting) => !editedInOwnCard.includes(setting.key));
  const byKey = new Map(every.map((setting) => [setting.key, setting]));

  function clearOutcome(key?: PolicyKey) {
    setNotice(null);
    setSavedKeys([]);
    setLockNotice(null);
    setGeneralError(null);
    if (key) setErrors(({ [key]: _dropped, ...rest }) => rest);
  }

  function change(setting: Setting, value: unknown) {
    clearOutcome(setting.key);
    setDrafts(({ [setting.key]: _previous, ...rest }) =>
      sameValue(value, setting.value) ? rest : { ...rest, [setting.key]: { value, isReset: false } },
    );
  }

  function reset(setting: Setting) {
    clearOutcome(setting.key);
    setDrafts((current) => ({ ...current, [setting.key]: { value: setting.inheritedValue, isReset: true } }));
    setRowVersion((current) => ({ ...current, [setting.key]: (current[setting.key] ?? 0) + 1 }));
  }

  function discard() {
    clearOutcome();
    setErrors({});
    setDrafts({});
    setFormVersion((v) => v + 1);
  }

  function isForbidden(setting: Setting) {
    return (value: unknown) =>
      target.level !== "provider" &&
      setting.lock !== null &&
      isLoosening(setting.key, setting.lock.value as never, value as never);
  }

  /** Checks every draft with its setting's schema, then asks about loosening, then sends. */
  function requestSave() {
    clearOutcome();
    const found: Partial<Record<PolicyKey, string>> = {};
    for (const [key, draft] of Object.entries(drafts) as [PolicyKey, Draft][]) {
      const setting = byKey.get(key);
      if (!setting || draft.isReset) continue;
      const problems = settingProblems(key, draft.value).map(plainProblem);
      if (problems.length) found[key] = problems.join(" ");
      else if (isForbidden(setting)(draft.value)) {
        found[key] =
          `Locked by the provider: it cannot be looser than ${formatSettingValue(setting.lock?.value)}.`;
      }
    }
    setErrors(found);
    if (Object.keys(found).length) {
      setGeneralError("Some changes need attention: see the marked settings.");
      return;
    }
    const loosened = (Object.entries(drafts) as [PolicyKey, Draft][])
      .map(([key, draft]) => ({ setting: byKey.get(key), draft }))
      .filter(
        ({ setting, draft }) =>
          setting && isLoosening(setting.key, setting.value as never, draft.value as never),
      )
      .map(({ setting }) => ({ label: setting!.label, risk: setting!.looseningRisk }));
    if (loosened.length) setLoosening(loosened);
    else send(false);
  }

  function send(confirmLoosening: boolean) {
    const keys = Object.keys(drafts) as PolicyKey[];
    const patch: Patch = Object.fromEntries(
      keys.map((key) => [key, drafts[key]!.isReset ? null : drafts[key]!.value]),
    );
    save.mutate(
      { patch, confirmLoosening },
      {
        onSuccess: () => {
          setLoosening(null);
          setDrafts({});
          setErrors({});
          setSavedKeys(keys);
          setNotice(
            keys.length === 1
              ? SAVED
              : `${keys.length} changes saved. Connected agents apply them within seconds.`,
          );
          setFormVersion((v) => v + 1);
        },
        onError: (error) => {
          setLoosening(null);
          const split = settingErrors(error, every);
          setErrors(split.byKey);
          setGeneralError(split.general ?? "Nothing was saved: see the marked settings.");
        },
      },
    );
  }

  function confirmLock() {
    const setting = lockTarget;
    if (!setting) return;
    const isLocked = setting.lock === null;
    clearOutcome(setting.key);
    lock.mutate(
      { key: setting.key, isLocked },
      {
        onSuccess: () => {
          setLockTarget(null);
          setLockNotice({
            key: setting.key,
            text: isLocked
              ? "Locked. Every agent gets it within seconds."
              : "Unlocked. Customers can set it for themselves again.",
          });
        },
        onError: (error) => {
          setLockTarget(null);
          setErrors((current) => ({
            ...current,
            [setting.key]: errorMessage(error) ?? "Something went wrong.",
          }));
        },
      },
    );
  }

  const isBusy = save.isPending || lock.isPending;
  return (
    <div className="space-y-6">
      <UnsavedChangesGuard isDirty={changeCount > 0} />
      {settingGroups.map((group) => {
        const inGroup = all.filter((s) => s.group === group);
        if (!inGroup.length) return null;
        return (
          <Card key={group} data-testid={`policy-group-${group}`}>
            <CardHeader title={group} />
            <ul className="divide-y divide-slate-100">
              {inGroup.map((s) => (
                <SettingRow
                  key={s.key}
                  isHighlighted={highlighted === s.key}
                  inputKey={`${formVersion}:${rowVersion[s.key] ?? 0}:${JSON.stringify(s.value)}`}
                  setting={s}
                  draft={drafts[s.key]}
                  level={target.level}
                  isBusy={isBusy}
                  canEdit={canEdit}
                  canLock={canLock}
                  isForbidden={isForbidden(s)}
                  error={errors[s.key] ?? null}
                  notice={
                    lockNotice?.key === s.key ? lockNotice.text : savedKeys.includes(s.key) ? "Saved" : null
                  }
                  onChange={(value) => change(s, value)}
                  onReset={() => reset(s)}
                  onLock={() => setLockTarget(s)}
                  onPropagate={() => setPropagateKey(s.key)}
                />
              ))}
            </ul>
          </Card>
        );
      })}
      <SaveBar
        isSticky
        label="Unsaved policy changes"
        changeCount={changeCount}
        isSaving={save.isPending}
        notice={notice}
        error={generalError}
        onDiscard={discard}
        onSave={requestSave}
      />
      <ConfirmLoosening
        open={loosening !== null}
        items={loosening ?? []}
        busy={save.isPending}
        onCancel={() => setLoosening(null)}
        onConfirm={() => send(true)}
      />
      {canLock && (
        <ConfirmLock
          lock={
            lockTarget && {
              label: lockTarget.label,
              levels: lockTarget.levels,
              isLocking: lockTarget.lock === null,
              value: formatSettingValue(lockTarget.value),
              hasUnsavedChange: drafts[lockTarget.key] !== undefined,
            }
          }
          busy={lock.isPending}
          onCancel={() => setLockTarget(null)}
          onConfirm={confirmLock}
        />
      )}
      {canLock && (
        <PropagateDialog
          settingKey={propagateKey}
          onClose={() => setPropagateKey(null)}
          onDone={(changed) => {
            setPropagateKey(null);
            setNotice(`Propagated: ${changed} domain${changed === 1 ? "" : "s"} changed.`);
            void query.refetch();
          }}
        />
      )}
    </div>
  );
}

/**
 * A link to one setting ("…?tab=policy#setting-spfCheck", e.g. from a refusal in the mail log): once the
 * settings are on screen, that row is scrolled to and marked for a few seconds.
 */
function useLinkedSetting(isLoaded: boolean): string | null {
  const [key, setKey] = React.useState<string | null>(null);
  React.useEffect(() => {
    if (!isLoaded) return;
    const match = /^#setting-([A-Za-z]+)$/.exec(window.location.hash);
    if (!match) return;
    const row = document.querySelector(`[data-testid="setting-row-${match[1]}"]`);
    if (!row) return;
    row.scrollIntoView({ block: "center" });
    setKey(match[1]!);
    const timer = setTimeout(() => setKey(null), 4000);
    return () => clearTimeout(timer);
  }, [isLoaded]);
  return key;
}

function SettingRow({
  isHighlighted = false,
  inputKey,
  setting: s,
  draft,
  level,
  isBusy,
  canEdit,
  canLock,
  isForbidden,
  error,
  notice,
  onChange,
  onReset,
  onLock,
  onPropagate,
}: {
  /** The row a link pointed at: marked so the eye finds it. */
  isHighlighted?: boolean;
  /** Changes when the input must show its value afresh (discarded, saved, reset). */
  inputKey: string;
  setting: Setting;
  draft: Draft | undefined;
  level: PolicyLevel;
  isBusy: boolean;
  canEdit: boolean;
  canLock: boolean;
  isForbidden: (value: unknown) => boolean;
  error: string | null;
  notice: string | null;
  onChange: (value: unknown) => void;
  onReset: () => void;
  onLock: () => void;
  onPropagate: () => void;
}) {
  const shape = fieldShape(s.key);
  const id = `setting-${s.key}`;
  const errorId = `${id}-error`;
  const isLabelable = shape.kind !== "object" && shape.kind !== "object-list" && shape.kind !== "readonly";
  // An object's fields and a list's table need the row's width: the description sits above them.
  const isWide = shape.kind === "object" || shape.kind === "object-list";
  const isLockedHere = s.lock !== null && level !== "provider";
  const isChanged = draft !== undefined;
  return (
    <li
      className={cn(
        "flex flex-col gap-3 border-l-4 px-4 py-4 md:flex-row md:flex-wrap md:items-start md:justify-between md:gap-4 md:px-5",
        isChanged ? "border-l-amber-400 bg-amber-50/50" : error ? "border-l-red-400" : "border-l-transparent",
        isHighlighted && !isChanged && "border-l-brand-500 bg-brand-50/60 transition-colors",
      )}
      data-highlighted={isHighlighted || undefined}
      data-testid={`setting-row-${s.key}`}
      data-changed={isChanged || undefined}
    >
      <div className={isWide ? "min-w-0 md:basis-full" : "min-w-0 md:flex-1"}>
        <div className="flex flex-wrap items-center gap-2">
          {isLabelable ? (
            <label htmlFor={id} className="font-medium">
              {s.label}
            </label>
          ) : (
            <p className="font-medium">{s.label}</p>
          )}
          {isChanged && (
            <Badge tone="amber" data-testid={`${s.key}-unsaved`}>
              {draft.isReset ? "Unsaved: back to inherited" : "Unsaved change"}
            </Badge>
          )}
          {notice && !isChanged && (
            <Badge tone="green" data-testid={`${s.key}-saved`}>
              {notice}
            </Badge>
          )}
        </div>
        <p className="text-sm text-slate-500">{s.why}</p>
        <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
          <span>
            {isChanged ? "Saved value" : "Effective"}:{" "}
            <strong data-testid={`${s.key}-effective`}>{formatSettingValue(s.value)}</strong>
          </span>
          <LooserThanDefault settingKey={s.key} value={s.value} />
          {s.isIgnored ? (
            <Badge tone="amber" className="whitespace-normal">
              Set here to {formatSettingValue(s.ignoredValue)} — not in force, locked by the provider
            </Badge>
          ) : (
            <SettingSource source={s.source} setHere={s.setHere} />
          )}
          {s.lock && (
            <Badge tone="red" className="whitespace-normal" data-testid={`${s.key}-lock`}>
              🔒 Locked by {s.lock.lockedBy} · {formatDateTime(s.lock.lockedAt)}
            </Badge>
          )}
          <span className="text-slate-400">Secure default: {formatSettingValue(s.secureDefault)}</span>
        </p>
        {isLockedHere && (
          <p className="mt-1 text-xs text-slate-500">
            The provider locked this setting: it can be made stricter here, never looser than{" "}
            {formatSettingValue(s.lock?.value)}.
          </p>
        )}
      </div>
      <div
        className={
          isWide
            ? "flex w-full flex-col gap-2 md:basis-full"
            : "flex flex-col gap-2 md:flex-row md:flex-wrap md:items-center md:justify-end"
        }
      >
        <SettingInput
          key={inputKey}
          id={id}
          settingKey={s.key}
          label={s.label}
          shape={shape}
          value={draft ? draft.value : s.value}
          isDisabled={!canEdit || isBusy}
          isForbidden={isForbidden}
          errorId={error ? errorId : undefined}
          onChange={onChange}
        />
        <div className="flex flex-wrap gap-2">
          {canEdit && s.setHere && !draft?.isReset && (
            <Button variant="ghost" size="sm" disabled={isBusy} onClick={onReset}>
              {level === "provider" ? "Reset to secure default" : "Reset to inherited"}
              <span className="sr-only">
                {" "}
                {s.label} ({formatSettingValue(s.inheritedValue)},{" "}
                {s.inheritedSource === "default" ? "the secure default" : `from the ${s.inheritedSource}`})
              </span>
            </Button>
          )}
          {canLock && level === "provider" && s.isLockable && (
            <Button
              variant="secondary"
              size="sm"
              disabled={isBusy}
              aria-pressed={s.lock !== null}
              onClick={onLock}
            >
              {s.lock ? "Unlock" : "Lock"}
              <span className="sr-only"> {s.label}</span>
            </Button>
          )}
          {canLock && level === "provider" && s.levels.includes("domain") && (
            <Button variant="secondary" size="sm" onClick={onPropagate}>
              Propagate to all domains…<span className="sr-only"> {s.label}</span>
            </Button>
          )}
        </div>
      </div>
      {error && (
        <p
          id={errorId}
          role="alert"
          className="text-sm text-red-700 md:basis-full"
          data-testid={`${s.key}-error`}
        >
          {error}
        </p>
      )}
    </li>
  );
}
