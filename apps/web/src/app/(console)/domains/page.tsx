// Domains: list (optionally of one customer) and add.
"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CustomerSelect } from "~/components/console/customer-select";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, EmptyState, PageHeader } from "~/components/ui/card";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Field, Input } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { formatDateTime } from "~/lib/format";
import { errorMessage, useTRPC } from "~/lib/trpc";

function DomainsList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const customerFilter = useSearchParams().get("customer") ?? undefined;
  const me = useQuery(trpc.auth.me.queryOptions());
  const isProvider = me.data?.providerRole === "PROVIDER_ADMIN";
  const canCreate = isProvider || me.data?.memberships.some((m) => m.role === "CUSTOMER_ADMIN");
  const domains = useQuery(trpc.domain.list.queryOptions({ customerId: customerFilter }));
  const customers = useQuery({ ...trpc.customer.list.queryOptions(), enabled: isProvider });
  const [open, setOpen] = React.useState(false);
  const [form, setForm] = React.useState({ name: "", customerId: customerFilter ?? "" });
  const create = useMutation(
    trpc.domain.create.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        setForm({ name: "", customerId: customerFilter ?? "" });
        void qc.invalidateQueries({ queryKey: trpc.domain.list.queryKey() });
      },
    }),
  );
  const addButton = canCreate ? <Button onClick={() => setOpen(true)}>Add domain</Button> : null;
  return (
    <>
      <PageHeader
        title="Domains"
        description="Mail domains and their mailboxes. Every agent of the customer serves them."
        action={addButton}
      />
      <Card>
        {domains.isLoading ? (
          <p className="p-5 text-sm text-slate-500">Loading…</p>
        ) : !domains.data?.length ? (
          <EmptyState title="No domains yet" action={addButton}>
            {isProvider && !customers.data?.length
              ? "Create a customer first, then add its domains."
              : "Add a domain to create mailboxes for it."}
          </EmptyState>
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Domain</Th>
                <Th>Customer</Th>
                <Th>Mailboxes</Th>
                <Th>Added</Th>
              </tr>
            </thead>
            <tbody>
              {domains.data.map((d) => (
                <tr key={d.id}>
                  <Td>
                    <Link className="font-medium text-brand-600 hover:underline" href={`/domains/${d.id}`}>
                      {d.name}
                    </Link>
                  </Td>
                  <Td>{d.customer.name}</Td>
                  <Td>{d.mailboxes}</Td>
                  <Td>{formatDateTime(d.createdAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Dialog open={open} onClose={() => setOpen(false)} title="Add domain">
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ name: form.name, customerId: isProvider ? form.customerId : undefined });
          }}
        >
          {create.error && <Alert tone="error">{errorMessage(create.error)}</Alert>}
          {isProvider && (
            <CustomerSelect
              id="domain-customer"
              value={form.customerId}
              onChange={(customerId) => setForm({ ...form, customerId })}
            />
          )}
          <Field label="Domain name" htmlFor="domain-name" hint="For example example.com">
            <Input
              id="domain-name"
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
            />
          </Field>
          <DialogActions submitLabel="Add domain" busy={create.isPending} onCancel={() => setOpen(false)} />
        </form>
      </Dialog>
    </>
  );
}

export default function DomainsPage() {
  return (
    <React.Suspense>
      <DomainsList />
    </React.Suspense>
  );
}
