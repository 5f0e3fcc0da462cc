// Servers: online/offline, last seen, agent version, desired vs applied policy; "Add server" issues the
// one-time enrollment command.
"use client";
import * as React from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CustomerOptions } from "~/components/console/customer-select";
import { EnrollmentInstructions } from "~/components/console/enrollment-instructions";
import { PolicySyncBadge, ServerStatusBadge } from "~/components/console/server-status";
import { Button } from "~/components/ui/button";
import { Card, EmptyState, PageHeader } from "~/components/ui/card";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Select } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { timeAgo } from "~/lib/format";
import { Form, FormError, FormField, useZodForm } from "~/components/form";
import { createServerInput } from "~/lib/schemas/server";
import { useTRPC } from "~/lib/trpc";

export default function ServersPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const canAdd = me.data?.providerRole === "PROVIDER_ADMIN";
  const servers = useQuery({ ...trpc.server.list.queryOptions({}), refetchInterval: 3_000 });
  const [open, setOpen] = React.useState(false);
  const form = useZodForm(createServerInput, { defaultValues: { name: "", customerId: "" } });
  const create = useMutation(
    trpc.server.create.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.server.list.queryKey() }),
      onError: (error) => form.setServerError(error),
    }),
  );
  const close = () => {
    setOpen(false);
    create.reset();
    form.reset();
  };
  const addButton = canAdd ? <Button onClick={() => setOpen(true)}>Add server</Button> : null;
  return (
    <>
      <PageHeader
        title="Servers"
        description="Hosts running the Mailwarden agent. Status refreshes every few seconds."
        action={addButton}
      />
      <Card>
        {servers.isLoading ? (
          <p className="p-5 text-sm text-slate-500">Loading…</p>
        ) : !servers.data?.length ? (
          <EmptyState title="No servers yet" action={addButton}>
            Add a server to get a one-line command that enrolls the agent on the customer’s host.
          </EmptyState>
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Server</Th>
                <Th>Customer</Th>
                <Th>Status</Th>
                <Th>Last seen</Th>
                <Th>Agent</Th>
                <Th>Policy</Th>
              </tr>
            </thead>
            <tbody>
              {servers.data.map((s) => (
                <tr key={s.id} data-testid={`server-row-${s.name}`}>
                  <Td>
                    <Link className="font-medium text-brand-600 hover:underline" href={`/servers/${s.id}`}>
                      {s.name}
                    </Link>
                    {s.hostname && <div className="text-xs text-slate-500">{s.hostname}</div>}
                  </Td>
                  <Td>{s.customer.name}</Td>
                  <Td>
                    <ServerStatusBadge status={s.status} />
                  </Td>
                  <Td>{timeAgo(s.lastSeenAt)}</Td>
                  <Td>{s.agentVersion ?? "—"}</Td>
                  <Td>
                    {s.status === "PENDING" ? (
                      "—"
                    ) : (
                      <PolicySyncBadge
                        desired={s.desiredRevision}
                        applied={s.appliedRevision}
                        rejectedRevision={s.lastRejectedRevision}
                        rejectReason={s.lastRejectReason}
                      />
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Dialog open={open} onClose={close} title={create.data ? "Enroll the agent" : "Add server"}>
        {create.data ? (
          <>
            <EnrollmentInstructions
              token={create.data.token}
              expiresAt={create.data.expiresAt}
              command={create.data.commands.enroll}
              installCommand={create.data.commands.install}
            />
            <div className="mt-4 flex justify-end">
              <Button onClick={close}>Done</Button>
            </div>
          </>
        ) : (
          <Form form={form} onSubmit={(values) => create.mutate(values)}>
            <FormError form={form} />
            <FormField form={form} name="customerId" id="server-customer" label="Customer">
              {(control) => (
                <Select {...control}>
                  <CustomerOptions />
                </Select>
              )}
            </FormField>
            <FormField
              form={form}
              name="name"
              id="server-name"
              label="Server name"
              hint="For example mx1.customer.example"
              autoComplete="off"
            />
            <DialogActions submitLabel="Create and get command" busy={create.isPending} onCancel={close} />
          </Form>
        )}
      </Dialog>
    </>
  );
}
