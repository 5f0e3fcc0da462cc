// A domain's aliases (addresses that forward to mailboxes or anywhere else): list, add, delete.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardHeader, EmptyState } from "../ui/card";
import { Dialog, DialogActions } from "../ui/dialog";
import { Field, Input } from "../ui/input";
import { Table, Td, Th } from "../ui/table";
import { errorMessage, useTRPC } from "~/lib/trpc";

export function AliasesCard({ domainId, domainName }: { domainId: string; domainName: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const aliases = useQuery(trpc.domain.aliases.queryOptions({ domainId }));
  const [isOpen, setOpen] = React.useState(false);
  const [form, setForm] = React.useState({ localPart: "", targets: "" });
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.domain.aliases.queryKey({ domainId }) });
  const close = () => {
    setOpen(false);
    setForm({ localPart: "", targets: "" });
  };
  const create = useMutation(
    trpc.domain.createAlias.mutationOptions({
      onSuccess: () => {
        close();
        refresh();
      },
    }),
  );
  const remove = useMutation(trpc.domain.deleteAlias.mutationOptions({ onSuccess: refresh }));

  return (
    <Card>
      <CardHeader
        title="Aliases"
        description="Addresses that forward to mailboxes here or to addresses elsewhere."
        action={
          <Button size="sm" onClick={() => setOpen(true)}>
            Add alias
          </Button>
        }
      />
      {(aliases.error ?? remove.error) && (
        <Alert tone="error" className="m-4">
          {errorMessage(aliases.error ?? remove.error)}
        </Alert>
      )}
      {!aliases.data?.length ? (
        <EmptyState title="No aliases">
          Mail to an address that is neither a mailbox nor an alias is refused.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Address</Th>
              <Th>Forwards to</Th>
              <Th />
            </tr>
          </thead>
          <tbody>
            {aliases.data.map((alias) => (
              <tr key={alias.id}>
                <Td className="font-medium">
                  {alias.localPart}@{domainName}
                </Td>
                <Td>{alias.targets.join(", ")}</Td>
                <Td className="text-right">
                  <Button
                    size="sm"
                    variant="ghost"
                    className="text-red-600"
                    onClick={() =>
                      confirm(
                        `Delete the alias ${alias.localPart}@${domainName}? Its mail will be refused.`,
                      ) && remove.mutate({ aliasId: alias.id })
                    }
                  >
                    Delete
                  </Button>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <Dialog open={isOpen} onClose={close} title={`Add an alias to ${domainName}`}>
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({
              domainId,
              localPart: form.localPart,
              targets: form.targets.split(/[\s,;]+/).filter(Boolean),
            });
          }}
        >
          {create.error && <Alert tone="error">{errorMessage(create.error)}</Alert>}
          <Field label="Address" htmlFor="alias-local">
            <div className="flex items-center gap-2">
              <Input
                id="alias-local"
                value={form.localPart}
                onChange={(e) => setForm({ ...form, localPart: e.target.value })}
              />
              <span className="text-sm text-slate-500">@{domainName}</span>
            </div>
          </Field>
          <Field
            label="Forwards to"
            htmlFor="alias-targets"
            hint="Addresses separated by commas or spaces; a bare name means a mailbox of this domain."
          >
            <Input
              id="alias-targets"
              value={form.targets}
              onChange={(e) => setForm({ ...form, targets: e.target.value })}
            />
          </Field>
          <DialogActions submitLabel="Create alias" busy={create.isPending} onCancel={close} />
        </form>
      </Dialog>
    </Card>
  );
}
