// One editor for every level (provider, customer, domain, server): every setting the catalogue allows at
// that level, grouped as an admin expects, each with its effective value, where it comes from, the
// secure default, its one-line why, a reset to the inherited value and the provider's lock. Inputs come
// from the zod schema (./setting-input), so settings added to the policy package appear here unchanged.
// Loosening asks first and says what it exposes; the server enforces the same rules.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from "@tanstack/react-query";
import { fieldShape, isLoosening, settingGroups, type PolicyKey, type PolicyLevel } from "@mailwarden/policy";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { formatDateTime } from "~/lib/format";
import { errorMessage, useTRPC, useTRPCClient, type RouterOutputs } from "~/lib/trpc";
import { ConfirmLoosening } from "./confirm-loosening";
import { PropagateDialog } from "./propagate-dialog";
import { SettingInput } from "./setting-input";
import { SettingSource, formatSettingValue } from "./setting-source";

export type PolicyEditorTarget =
  | { level: "provider" }
  | { level: "customer"; customerId: string }
  | { level: "domain"; domainId: string }
  | { level: "server"; serverId: string };

type Setting = RouterOutputs["policy"]["domain"]["settings"][number];
type Patch = Record<string, unknown>;

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
  const [pending, setPending] = React.useState<{ setting: Setting; patch: Patch } | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  // The setting last saved or (un)locked: its outcome is shown on its own row, where the user looks.
  const [activeKey, setActiveKey] = React.useState<PolicyKey | null>(null);
  const [propagateKey, setPropagateKey] = React.useState<PolicyKey | null>(null);

  if (query.error) return <Alert tone="error">{errorMessage(query.error)}</Alert>;
  if (!query.data) return <p className="text-sm text-slate-500">Loading policy…</p>;
  const all = query.data.settings.filter((setting) => !editedInOwnCard.includes(setting.key));

  function send(patch: Patch, confirmLoosening: boolean) {
    setNotice(null);
    lock.reset();
    setActiveKey(Object.keys(patch)[0] as PolicyKey);
    save.mutate({ patch, confirmLoosening }, { onSuccess: () => setPending(null) });
  }

  function statusOf(key: PolicyKey): { tone: "success" | "error"; text: string } | null {
    if (key !== activeKey) return null;
    const error = save.error ?? lock.error;
    if (error) return { tone: "error", text: errorMessage(error) ?? "Something went wrong." };
    if (save.isSuccess) return { tone: "success", text: "Saved. Connected agents apply it within seconds." };
    if (lock.isSuccess) return { tone: "success", text: "Saved. Every agent gets it within seconds." };
    return null;
  }

  /** `next` is the value the setting would have; `patch` what is sent (null = reset to inherited). */
  function propose(setting: Setting, next: unknown, patch: Patch) {
    if (isLoosening(setting.key, setting.value as never, next as never)) setPending({ setting, patch });
    else send(patch, false);
  }

  function isForbidden(setting: Setting) {
    return (value: unknown) =>
      target.level !== "provider" &&
      setting.lock !== null &&
      isLoosening(setting.key, setting.lock.value as never, value as never);
  }

  return (
    <div className="space-y-6">
      {notice && <Alert tone="success">{notice}</Alert>}
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
                  setting={s}
                  level={target.level}
                  isBusy={save.isPending || lock.isPending}
                  canEdit={canEdit}
                  canLock={canLock}
                  isForbidden={isForbidden(s)}
                  onChange={(value) => propose(s, value, { [s.key]: value })}
                  onReset={() => propose(s, s.inheritedValue, { [s.key]: null })}
                  status={statusOf(s.key)}
                  onLock={(isLocked) => {
                    save.reset();
                    setActiveKey(s.key);
                    lock.mutate({ key: s.key, isLocked });
                  }}
                  onPropagate={() => setPropagateKey(s.key)}
                />
              ))}
            </ul>
          </Card>
        );
      })}
      {pending && (
        <ConfirmLoosening
          open
          label={pending.setting.label}
          risk={pending.setting.looseningRisk}
          busy={save.isPending}
          onCancel={() => setPending(null)}
          onConfirm={() => send(pending.patch, true)}
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

function SettingRow({
  setting: s,
  level,
  isBusy,
  canEdit,
  canLock,
  isForbidden,
  status,
  onChange,
  onReset,
  onLock,
  onPropagate,
}: {
  setting: Setting;
  status: { tone: "success" | "error"; text: string } | null;
  level: PolicyLevel;
  isBusy: boolean;
  canEdit: boolean;
  canLock: boolean;
  isForbidden: (value: unknown) => boolean;
  onChange: (value: unknown) => void;
  onReset: () => void;
  onLock: (isLocked: boolean) => void;
  onPropagate: () => void;
}) {
  const shape = fieldShape(s.key);
  const id = `setting-${s.key}`;
  const isLabelable = shape.kind !== "object" && shape.kind !== "object-list" && shape.kind !== "readonly";
  // An object's fields and a list's table need the row's width: the description sits above them.
  const isWide = shape.kind === "object" || shape.kind === "object-list";
  const title = (
    <>
      {s.label} <span className="text-xs font-normal text-slate-400">row {s.row}</span>
    </>
  );
  const isLockedHere = s.lock !== null && level !== "provider";
  return (
    <li
      className="flex flex-wrap items-start justify-between gap-4 px-5 py-4"
      data-testid={`setting-row-${s.key}`}
    >
      <div className={isWide ? "min-w-0 basis-full" : "min-w-0 flex-1"}>
        {isLabelable ? (
          <label htmlFor={id} className="font-medium">
            {title}
          </label>
        ) : (
          <p className="font-medium">{title}</p>
        )}
        <p className="text-sm text-slate-500">{s.why}</p>
        <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
          <span>
            Effective: <strong data-testid={`${s.key}-effective`}>{formatSettingValue(s.value)}</strong>
          </span>
          {s.isIgnored ? (
            <Badge tone="amber">
              Set here to {formatSettingValue(s.ignoredValue)} — not in force, locked by the provider
            </Badge>
          ) : (
            <SettingSource source={s.source} setHere={s.setHere} />
          )}
          {s.lock && (
            <Badge tone="red" data-testid={`${s.key}-lock`}>
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
        {status && (
          <Alert tone={status.tone} className="mt-2">
            {status.text}
          </Alert>
        )}
      </div>
      <div
        className={
          shape.kind === "object-list"
            ? "flex basis-full flex-wrap items-start gap-2"
            : "flex flex-wrap items-center justify-end gap-2"
        }
      >
        <SettingInput
          id={id}
          settingKey={s.key}
          label={s.label}
          shape={shape}
          value={s.value}
          isDisabled={!canEdit || isBusy}
          isForbidden={isForbidden}
          onSubmit={onChange}
        />
        {canEdit && s.setHere && (
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
            onClick={() => onLock(s.lock === null)}
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
    </li>
  );
}
