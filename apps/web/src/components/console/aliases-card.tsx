// A domain's aliases (addresses that forward to mailboxes or anywhere else): list, add, delete. The add
// form is the console's form pattern over the procedure's own schema (lib/schemas/mail.ts); deleting asks
// in the app's own dialog.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Form, FormError, FormField, useZodForm } from "~/components/form";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardHeader, EmptyState } from "../ui/card";
import { useConfirm } from "../ui/confirm-dialog";
import { Dialog, DialogActions } from "../ui/dialog";
import { Table, Td, Th } from "../ui/table";
import { displayAddress } from "~/lib/format";
import { createAliasForm } from "~/lib/schemas/mail";
import { errorMessage, useTRPC } from "~/lib/trpc";

export function AliasesCard({ domainId, domainName }: { domainId: string; domainName: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const aliases = useQuery(trpc.domain.aliases.queryOptions({ domainId }));
  const confirm = useConfirm();
  const [isOpen, setOpen] = React.useState(false);
  const defaults = { domainId, localPart: "", targets: "" };
  const form = useZodForm(createAliasForm, { defaultValues: defaults });
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.domain.aliases.queryKey({ domainId }) });
  const close = () => {
    setOpen(false);
    form.reset(defaults);
  };
  const create = useMutation(
    trpc.domain.createAlias.mutationOptions({
      onSuccess: () => {
        close();
        refresh();
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  const remove = useMutation(trpc.domain.deleteAlias.mutationOptions({ onSuccess: refresh }));

  return (
    <Card>
      <CardHeader
        title="Aliases"
        description="Addresses that forward to mailboxes here or to addresses elsewhere."
        action={
          <Button
            size="sm"
            onClick={() => {
              form.reset(defaults);
              setOpen(true);
            }}
          >
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
                <Td>{alias.targets.map(displayAddress).join(", ")}</Td>
                <Td className="text-right">
                  <Button
                    size="sm"
                    variant="ghost"
                    className="text-red-600"
                    onClick={() =>
                      void confirm({
                        title: `Delete ${alias.localPart}@${domainName}?`,
                        description: "Mail to this alias will be refused.",
                        confirmLabel: "Delete alias",
                        tone: "danger",
                        onConfirm: () => remove.mutateAsync({ aliasId: alias.id }),
                      })
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
        <Form form={form} onSubmit={(values) => create.mutate(values)}>
          <FormError form={form} />
          <FormField
            form={form}
            name="localPart"
            id="alias-local"
            label="Address"
            hint={`@${domainName}`}
            autoComplete="off"
          />
          <FormField
            form={form}
            name="targets"
            id="alias-targets"
            label="Forwards to"
            hint="Addresses separated by commas or spaces; a bare name means a mailbox of this domain."
            autoComplete="off"
            required
          />
          <DialogActions submitLabel="Create alias" busy={create.isPending} onCancel={close} />
        </Form>
      </Dialog>
    </Card>
  );
}
