// "Propagate to all domains": a preview of which domains change, from what to what (locks and customer
// values already taken into account by the server), then one audited apply.
"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { PolicyKey } from "@mailwarden/policy";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { Table, Td, Th } from "../ui/table";
import { displayDomain } from "~/lib/format";
import { errorMessage, useTRPC } from "~/lib/trpc";
import { formatSettingValue } from "./setting-source";

export function PropagateDialog({
  settingKey,
  onClose,
  onDone,
}: {
  settingKey: PolicyKey | null;
  onClose: () => void;
  onDone: (changed: number) => void;
}) {
  const trpc = useTRPC();
  const preview = useQuery({
    ...trpc.policy.previewPropagation.queryOptions({ key: settingKey ?? "requireSmtpAuth" }),
    enabled: settingKey !== null,
    staleTime: 0,
  });
  const propagate = useMutation(
    trpc.policy.propagate.mutationOptions({ onSuccess: (r) => onDone(r.changed) }),
  );
  return (
    <Dialog open={settingKey !== null} onClose={onClose} title="Propagate to all domains">
      {preview.error ? (
        <Alert tone="error">{errorMessage(preview.error)}</Alert>
      ) : !preview.data ? (
        <p className="text-sm text-slate-500">Computing what would change…</p>
      ) : (
        <div className="space-y-4">
          <p className="text-sm text-slate-600">
            Every customer’s and domain’s own “{preview.data.label}” is cleared so it inherits the provider
            default (<strong>{formatSettingValue(preview.data.providerValue)}</strong>
            {preview.data.isLocked ? ", locked" : ""}). {preview.data.changes.length} of{" "}
            {preview.data.totalDomains} domains change:
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
                    <Td>{displayDomain(c.domain)}</Td>
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
            <Button variant="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button
              busy={propagate.isPending}
              onClick={() => settingKey && propagate.mutate({ key: settingKey })}
            >
              Apply to {preview.data.changes.length} domains
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
