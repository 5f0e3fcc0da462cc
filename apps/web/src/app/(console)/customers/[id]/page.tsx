// One customer: its 2FA rule, console users (customer admins, domain admins, auditors) and the
// customer-level policy its domains inherit.
"use client";
import * as React from "react";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useWatch } from "react-hook-form";
import { defaultPolicy } from "@mailwarden/policy";
import { PolicyEditor } from "~/components/console/policy-editor";
import { Form, FormError, FormField, FormPasswordField, useZodForm } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader, EmptyState, PageHeader } from "~/components/ui/card";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { useConfirm } from "~/components/ui/confirm-dialog";
import { Select } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { Tabs } from "~/components/ui/tabs";
import { UserAccountActions } from "~/components/console/user-account-actions";
import { PolicySyncBadge, ServerStatusBadge } from "~/components/console/server-status";
import { displayDomain, formatDateTime, roleLabel, timeAgo } from "~/lib/format";
import { addCustomerUserInput } from "~/lib/schemas/customer";
import { errorMessage, useTRPC } from "~/lib/trpc";

export default function CustomerPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const customer = useQuery(trpc.customer.get.queryOptions({ customerId: id }));
  const me = useQuery(trpc.auth.me.queryOptions());
  const canEditPolicy =
    me.data?.providerRole === "PROVIDER_ADMIN" ||
    (me.data?.memberships.some((m) => m.tenantId === id && m.role === "CUSTOMER_ADMIN") ?? false);
  const users = useQuery(trpc.customer.users.queryOptions({ customerId: id }));
  const domains = useQuery(trpc.domain.list.queryOptions({ customerId: id }));
  const servers = useQuery({
    ...trpc.server.list.queryOptions({ customerId: id }),
    enabled: Boolean(me.data?.providerRole),
  });
  const [open, setOpen] = React.useState(false);
  const confirm = useConfirm();
  const form = useZodForm(addCustomerUserInput, {
    defaultValues: {
      customerId: id,
      email: "",
      name: "",
      role: "CUSTOMER_ADMIN",
      domainIds: [],
      password: "",
    },
  });
  const [role, email] = useWatch({ control: form.control, name: ["role", "email"] });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.customer.users.queryKey({ customerId: id }) });
    void qc.invalidateQueries({ queryKey: trpc.customer.get.queryKey({ customerId: id }) });
  };
  const addUser = useMutation(
    trpc.customer.addUser.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        form.reset();
        refresh();
      },
      onError: (error) => form.setServerError(error, { detailsField: "password" }),
    }),
  );
  const closeDialog = () => {
    setOpen(false);
    form.clearErrors();
  };
  const removeUser = useMutation(trpc.customer.removeUser.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.customer.update.mutationOptions({ onSuccess: refresh }));

  if (customer.error) return <Alert tone="error">{errorMessage(customer.error)}</Alert>;
  if (!customer.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const c = customer.data;
  return (
    <>
      <PageHeader
        title={c.name}
        description={
          <Link href="/customers" className="hover:underline">
            ← Customers
          </Link>
        }
        action={
          <Link
            href={`/domains?customer=${c.id}`}
            className="text-sm font-medium text-brand-600 hover:underline"
          >
            Domains of {c.name} →
          </Link>
        }
      />
      <Tabs
        label={`Sections of ${c.name}`}
        tabs={[
          {
            id: "domains",
            label: me.data?.providerRole ? "Domains & servers" : "Domains",
            panel: (
              <div className="space-y-6">
                <Card>
                  <CardHeader title="Domains" />
                  {!domains.data?.length ? (
                    <EmptyState title="No domains yet">
                      Add {c.name}&apos;s domains on the Domains page, then their mailboxes.
                    </EmptyState>
                  ) : (
                    <Table>
                      <thead>
                        <tr>
                          <Th>Domain</Th>
                          <Th>Mailboxes</Th>
                          <Th>Added</Th>
                        </tr>
                      </thead>
                      <tbody>
                        {domains.data.map((d) => (
                          <tr key={d.id}>
                            <Td>
                              <Link
                                className="font-medium text-brand-600 hover:underline"
                                href={`/domains/${d.id}`}
                              >
                                {displayDomain(d.name)}
                              </Link>
                            </Td>
                            <Td>{d.mailboxes}</Td>
                            <Td>{formatDateTime(d.createdAt)}</Td>
                          </tr>
                        ))}
                      </tbody>
                    </Table>
                  )}
                </Card>
                {me.data?.providerRole && (
                  <Card>
                    <CardHeader title="Servers" />
                    {!servers.data?.length ? (
                      <EmptyState title="No servers yet">
                        Add a server for {c.name} on the Servers page to enroll its agent.
                      </EmptyState>
                    ) : (
                      <Table>
                        <thead>
                          <tr>
                            <Th>Server</Th>
                            <Th>Status</Th>
                            <Th>Last seen</Th>
                            <Th>Configuration</Th>
                          </tr>
                        </thead>
                        <tbody>
                          {servers.data.map((s) => (
                            <tr key={s.id}>
                              <Td>
                                <Link
                                  className="font-medium text-brand-600 hover:underline"
                                  href={`/servers/${s.id}`}
                                >
                                  {s.name}
                                </Link>
                              </Td>
                              <Td>
                                <ServerStatusBadge status={s.status} />
                              </Td>
                              <Td>{timeAgo(s.lastSeenAt)}</Td>
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
                )}
              </div>
            ),
          },
          {
            id: "users",
            label: "Users",
            panel: (
              <div className="space-y-6">
                <Card className="p-5">
                  <label className="flex items-center gap-3 text-sm">
                    <input
                      type="checkbox"
                      checked={c.require2fa}
                      disabled={update.isPending}
                      onChange={(e) => update.mutate({ customerId: c.id, require2fa: e.target.checked })}
                    />
                    <span>
                      <span className="font-medium">Require two-factor authentication</span>
                      <span className="block text-slate-500">
                        Users of this customer must enroll an authenticator app before they can do anything.
                      </span>
                    </span>
                  </label>
                </Card>
                <Card>
                  <CardHeader
                    title="Console users"
                    description="People of this customer who sign in to Mailwarden."
                    action={
                      <Button size="sm" onClick={() => setOpen(true)}>
                        Add user
                      </Button>
                    }
                  />
                  {removeUser.error && (
                    <Alert tone="error" className="m-4">
                      {errorMessage(removeUser.error)}
                    </Alert>
                  )}
                  {!users.data?.length ? (
                    <EmptyState title="No users yet">
                      Add a customer admin so the customer can manage its own domains and mailboxes.
                    </EmptyState>
                  ) : (
                    <Table>
                      <thead>
                        <tr>
                          <Th>User</Th>
                          <Th>Role</Th>
                          <Th>Domains</Th>
                          <Th>2FA</Th>
                          <Th>Last sign-in</Th>
                          <Th />
                        </tr>
                      </thead>
                      <tbody>
                        {users.data.map((u) => (
                          <tr key={u.userId}>
                            <Td>
                              <div className="font-medium">{u.name}</div>
                              <div className="text-slate-500">{u.email}</div>
                              {u.isLocked && <Badge tone="red">Locked</Badge>}
                            </Td>
                            <Td>{roleLabel(u.role)}</Td>
                            <Td>{u.domains.map((d) => displayDomain(d.name)).join(", ") || "All"}</Td>
                            <Td>
                              {u.has2fa ? <Badge tone="green">On</Badge> : <Badge tone="amber">Off</Badge>}
                            </Td>
                            <Td>{formatDateTime(u.lastLoginAt)}</Td>
                            <Td className="text-right">
                              <div className="flex flex-wrap justify-end gap-1.5">
                                {u.canManageAccount && <UserAccountActions user={u} />}
                                <Button
                                  size="sm"
                                  variant="ghost"
                                  onClick={() =>
                                    void confirm({
                                      title: `Remove ${u.email}?`,
                                      description: `${u.name} can no longer sign in to ${c.name}'s console.`,
                                      confirmLabel: "Remove user",
                                      tone: "danger",
                                      onConfirm: () =>
                                        removeUser.mutateAsync({ customerId: c.id, userId: u.userId }),
                                    })
                                  }
                                >
                                  Remove
                                </Button>
                              </div>
                            </Td>
                          </tr>
                        ))}
                      </tbody>
                    </Table>
                  )}
                </Card>
              </div>
            ),
          },
          {
            id: "policy",
            label: "Policy",
            panel: (
              <section className="space-y-3">
                <div>
                  <h2 className="text-lg font-semibold">Policy for {c.name}</h2>
                  <p className="text-sm text-slate-500">
                    Every domain of {c.name} inherits these values unless the domain sets its own.
                  </p>
                </div>
                <PolicyEditor target={{ level: "customer", customerId: c.id }} canEdit={canEditPolicy} />
              </section>
            ),
          },
        ]}
      />
      <Dialog open={open} onClose={closeDialog} title={`Add a user to ${c.name}`}>
        <Form form={form} onSubmit={(values) => addUser.mutate({ ...values, customerId: c.id })}>
          <FormError form={form} />
          <FormField form={form} name="name" id="user-name" label="Name" autoComplete="off" />
          <FormField form={form} name="email" id="user-email" label="Email" autoComplete="off" />
          <FormField form={form} name="role" id="user-role" label="Role">
            {(control) => (
              <Select {...control}>
                <option value="CUSTOMER_ADMIN">Customer admin — all of this customer’s domains</option>
                <option value="DOMAIN_ADMIN">Domain admin — only the domains chosen below</option>
                <option value="AUDITOR">Auditor — read-only</option>
              </Select>
            )}
          </FormField>
          {role === "DOMAIN_ADMIN" && (
            <fieldset className="space-y-1" aria-describedby="user-domains-error">
              <legend className="text-sm font-medium text-slate-700">Domains</legend>
              {!domains.data?.length && (
                <p className="text-xs text-slate-500">This customer has no domains yet.</p>
              )}
              {domains.data?.map((d) => (
                <label key={d.id} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" value={d.id} {...form.register("domainIds")} />
                  {displayDomain(d.name)}
                </label>
              ))}
              {form.formState.errors.domainIds?.message && (
                <p id="user-domains-error" className="text-xs text-red-600" data-field-error>
                  {form.formState.errors.domainIds.message}
                </p>
              )}
            </fieldset>
          )}
          <FormPasswordField
            form={form}
            name="password"
            id="user-password"
            label="Initial password"
            policy={defaultPolicy.passwordPolicy}
            context={{ userName: email?.split("@")[0], domainName: email?.split("@")[1] }}
          />
          <DialogActions submitLabel="Add user" busy={addUser.isPending} onCancel={closeDialog} />
        </Form>
      </Dialog>
    </>
  );
}
