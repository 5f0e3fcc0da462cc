// Customers (provider staff): list and create.
"use client";
import * as React from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, EmptyState, PageHeader } from "~/components/ui/card";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Field, Input } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { errorMessage, useTRPC } from "~/lib/trpc";

export default function CustomersPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const customers = useQuery(trpc.customer.list.queryOptions());
  const [open, setOpen] = React.useState(false);
  const [form, setForm] = React.useState({ name: "", require2fa: false });
  const create = useMutation(
    trpc.customer.create.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        setForm({ name: "", require2fa: false });
        void qc.invalidateQueries({ queryKey: trpc.customer.list.queryKey() });
      },
    }),
  );
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
      <Dialog open={open} onClose={() => setOpen(false)} title="Add customer">
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(form);
          }}
        >
          {create.error && <Alert tone="error">{errorMessage(create.error)}</Alert>}
          <Field label="Customer name" htmlFor="customer-name">
            <Input
              id="customer-name"
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
              autoFocus
            />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={form.require2fa}
              onChange={(e) => setForm({ ...form, require2fa: e.target.checked })}
            />
            Require two-factor authentication for this customer’s users
          </label>
          <DialogActions
            submitLabel="Create customer"
            busy={create.isPending}
            onCancel={() => setOpen(false)}
          />
        </form>
      </Dialog>
    </>
  );
}
