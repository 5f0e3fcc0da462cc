// Provider defaults for every domain and server, grouped as an admin expects, with where each value
// comes from, its secure default, a one-line why, confirmation before loosening, and "propagate to all
// domains" with a preview of what changes.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  isLoosening,
  parseChoice,
  settingChoices,
  type PolicyKey,
  type PolicyOverrides,
} from "@mailwarden/policy";
import { ConfirmLoosening } from "~/components/console/confirm-loosening";
import { SettingSource, formatSettingValue } from "~/components/console/setting-source";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, CardHeader, PageHeader } from "~/components/ui/card";
import { Dialog } from "~/components/ui/dialog";
import { Select } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { errorMessage, useTRPC, type RouterOutputs } from "~/lib/trpc";

type Setting = RouterOutputs["policy"]["provider"]["settings"][number];

export default function PolicyPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const policy = useQuery(trpc.policy.provider.queryOptions());
  const [pending, setPending] = React.useState<{
    patch: PolicyOverrides;
    label: string;
    risk: string;
  } | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [propagateKey, setPropagateKey] = React.useState<PolicyKey | null>(null);
  const preview = useQuery({
    ...trpc.policy.previewPropagation.queryOptions({ key: propagateKey ?? "requireSmtpAuth" }),
    enabled: propagateKey !== null,
  });
  const invalidate = () => void qc.invalidateQueries({ queryKey: trpc.policy.provider.queryKey() });
  const update = useMutation(
    trpc.policy.updateProvider.mutationOptions({
      onSuccess: () => {
        setPending(null);
        setNotice("Saved. Connected agents apply it within seconds.");
        invalidate();
      },
    }),
  );
  const propagate = useMutation(
    trpc.policy.propagate.mutationOptions({
      onSuccess: (r) => {
        setPropagateKey(null);
        setNotice(`Propagated: ${r.changed} domain${r.changed === 1 ? "" : "s"} changed.`);
        invalidate();
      },
    }),
  );

  if (policy.error) return <Alert tone="error">{errorMessage(policy.error)}</Alert>;
  if (!policy.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const groups = [...new Set(policy.data.settings.map((s) => s.group))];

  function change(setting: Setting, raw: string) {
    setNotice(null);
    const value = parseChoice(setting.key, raw);
    const patch = { [setting.key]: value } as PolicyOverrides;
    if (isLoosening(setting.key, setting.value as never, value as never))
      setPending({ patch, label: setting.label, risk: setting.looseningRisk });
    else update.mutate({ patch, confirmLoosening: false });
  }

  return (
    <>
      <PageHeader
        title="Policy"
        description="Provider defaults: every customer, domain and server inherits these unless it sets its own."
      />
      <div className="space-y-6">
        {notice && <Alert tone="success">{notice}</Alert>}
        {update.error && <Alert tone="error">{errorMessage(update.error)}</Alert>}
        {groups.map((group) => (
          <Card key={group}>
            <CardHeader title={group} />
            <ul className="divide-y divide-slate-100">
              {policy.data.settings
                .filter((s) => s.group === group)
                .map((s) => (
                  <li key={s.key} className="flex flex-wrap items-center justify-between gap-4 px-5 py-4">
                    <div className="min-w-0 flex-1">
                      <label htmlFor={`setting-${s.key}`} className="font-medium">
                        {s.label} <span className="text-xs font-normal text-slate-400">row {s.row}</span>
                      </label>
                      <p className="text-sm text-slate-500">{s.why}</p>
                      <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
                        <span>
                          Effective: <strong>{formatSettingValue(s.value)}</strong>
                        </span>
                        <SettingSource source={s.source} setHere={s.setHere} />
                        <span className="text-slate-400">
                          Secure default: {formatSettingValue(s.secureDefault)}
                        </span>
                      </p>
                    </div>
                    <div className="flex flex-wrap items-center gap-2">
                      {settingChoices(s.key) ? (
                        <Select
                          id={`setting-${s.key}`}
                          className="w-64"
                          value={String(s.value)}
                          disabled={update.isPending}
                          onChange={(e) => change(s, e.target.value)}
                        >
                          {settingChoices(s.key)!.map((o) => (
                            <option key={o.value} value={o.value}>
                              {o.label}
                            </option>
                          ))}
                        </Select>
                      ) : (
                        <span className="text-sm text-slate-500">{formatSettingValue(s.value)}</span>
                      )}
                      {s.levels.includes("domain") && (
                        <Button variant="secondary" size="sm" onClick={() => setPropagateKey(s.key)}>
                          Propagate to all domains…
                        </Button>
                      )}
                    </div>
                  </li>
                ))}
            </ul>
          </Card>
        ))}
      </div>
      {pending && (
        <ConfirmLoosening
          open
          label={pending.label}
          risk={pending.risk}
          busy={update.isPending}
          onCancel={() => setPending(null)}
          onConfirm={() => update.mutate({ patch: pending.patch, confirmLoosening: true })}
        />
      )}
      <Dialog
        open={propagateKey !== null}
        onClose={() => setPropagateKey(null)}
        title="Propagate to all domains"
      >
        {!preview.data ? (
          <p className="text-sm text-slate-500">Computing what would change…</p>
        ) : (
          <div className="space-y-4">
            <p className="text-sm text-slate-600">
              Every domain’s own “{preview.data.label}” is cleared so it inherits the provider default (
              <strong>{formatSettingValue(preview.data.providerValue)}</strong>).{" "}
              {preview.data.changes.length} of {preview.data.totalDomains} domains change:
            </p>
            {preview.data.changes.length > 0 ? (
              <Table data-testid="propagation-preview">
                <thead>
                  <tr>
                    <Th>Domain</Th>
                    <Th>Customer</Th>
                    <Th>From</Th>
                    <Th>To</Th>
                  </tr>
                </thead>
                <tbody>
                  {preview.data.changes.map((c) => (
                    <tr key={c.domainId}>
                      <Td>{c.domain}</Td>
                      <Td>{c.customer}</Td>
                      <Td>{formatSettingValue(c.from)}</Td>
                      <Td>{formatSettingValue(c.to)}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            ) : (
              <Alert tone="info">Every domain already uses the provider default.</Alert>
            )}
            {propagate.error && <Alert tone="error">{errorMessage(propagate.error)}</Alert>}
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => setPropagateKey(null)}>
                Cancel
              </Button>
              <Button
                busy={propagate.isPending}
                onClick={() => propagateKey && propagate.mutate({ key: propagateKey })}
              >
                Apply to {preview.data.changes.length} domains
              </Button>
            </div>
          </div>
        )}
      </Dialog>
    </>
  );
}
