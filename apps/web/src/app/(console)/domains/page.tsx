// Domains: list (optionally of one customer) and add.
"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CustomerOptions } from "~/components/console/customer-select";
import { Form, FormError, FormField, useZodForm } from "~/components/form";
import { Button } from "~/components/ui/button";
import { Card, EmptyState, PageHeader } from "~/components/ui/card";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Select } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { displayDomain, formatDateTime } from "~/lib/format";
import { createDomainInput } from "~/lib/schemas/domain";
import { useTRPC } from "~/lib/trpc";

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
  // A customer's own admin has no customer to choose: the field stays out of the form (undefined).
  const defaults = { name: "", customerId: isProvider ? (customerFilter ?? "") : undefined };
  const form = useZodForm(createDomainInput, { defaultValues: defaults });
  const create = useMutation(
    trpc.domain.create.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        form.reset(defaults);
        void qc.invalidateQueries({ queryKey: trpc.domain.list.queryKey() });
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  const close = () => {
    setOpen(false);
    form.clearErrors();
  };
  const openDialog = () => {
    form.reset(defaults);
    setOpen(true);
  };
  const addButton = canCreate ? <Button onClick={openDialog}>Add domain</Button> : null;
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
                      {displayDomain(d.name)}
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
      <Dialog open={open} onClose={close} title="Add domain">
        <Form form={form} onSubmit={(values) => create.mutate(values)}>
          <FormError form={form} />
          {isProvider && (
            <FormField form={form} name="customerId" id="domain-customer" label="Customer">
              {(control) => (
                <Select {...control}>
                  <CustomerOptions />
                </Select>
              )}
            </FormField>
          )}
          <FormField
            form={form}
            name="name"
            id="domain-name"
            label="Domain name"
            hint="For example example.com"
            autoComplete="off"
          />
          <DialogActions submitLabel="Add domain" busy={create.isPending} onCancel={close} />
        </Form>
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
