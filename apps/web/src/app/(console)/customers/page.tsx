// Customers (provider staff): list and create.
"use client";
import * as React from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, EmptyState, PageHeader } from "~/components/ui/card";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Table, Td, Th } from "~/components/ui/table";
import { Form, FormCheckbox, FormError, FormField, useZodForm } from "~/components/form";
import { createCustomerInput } from "~/lib/schemas/customer";
import { useTRPC } from "~/lib/trpc";

export default function CustomersPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const customers = useQuery(trpc.customer.list.queryOptions());
  const [open, setOpen] = React.useState(false);
  const form = useZodForm(createCustomerInput, { defaultValues: { name: "", require2fa: false } });
  const create = useMutation(
    trpc.customer.create.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        form.reset();
        void qc.invalidateQueries({ queryKey: trpc.customer.list.queryKey() });
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  const close = () => {
    setOpen(false);
    form.clearErrors();
  };
  const addButton = <Button onClick={() => setOpen(true)}>Add customer</Button>;
  return (
    <>
      <PageHeader
        title="Customers"
        description="Each customer owns its domains, mailboxes and servers."
        action={addButton}
      />
      <Card>
        {customers.isLoading ? (
          <p className="p-5 text-sm text-slate-500">Loading…</p>
        ) : !customers.data?.length ? (
          <EmptyState title="No customers yet" action={addButton}>
            Add the first customer, then give it domains and a server.
          </EmptyState>
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Domains</Th>
                <Th>Mailboxes</Th>
                <Th>Servers</Th>
                <Th>Users</Th>
                <Th>2FA</Th>
              </tr>
            </thead>
            <tbody>
              {customers.data.map((c) => (
                <tr key={c.id}>
                  <Td>
                    <Link className="font-medium text-brand-600 hover:underline" href={`/customers/${c.id}`}>
                      {c.name}
                    </Link>
                  </Td>
                  <Td>{c.domains}</Td>
                  <Td>{c.mailboxes}</Td>
                  <Td>{c.servers}</Td>
                  <Td>{c.users}</Td>
                  <Td>{c.require2fa ? <Badge tone="green">Required</Badge> : <Badge>Optional</Badge>}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Dialog open={open} onClose={close} title="Add customer">
        <Form form={form} onSubmit={(values) => create.mutate(values)}>
          <FormError form={form} />
          <FormField form={form} name="name" id="customer-name" label="Customer name" autoFocus />
          <FormCheckbox
            form={form}
            name="require2fa"
            label="Require two-factor authentication for this customer’s users"
          />
          <DialogActions submitLabel="Create customer" busy={create.isPending} onCancel={close} />
        </Form>
      </Dialog>
    </>
  );
}
