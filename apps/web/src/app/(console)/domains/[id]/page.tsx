// One domain: its mailboxes (create, reset password, auto-reply, sending limits, delete) and its security
// settings.
"use client";
import * as React from "react";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useWatch } from "react-hook-form";
import type { PasswordPolicy } from "@mailwarden/policy";
import { Form, FormError, FormField, FormPasswordField, useZodForm } from "~/components/form";
import { AliasesCard } from "~/components/console/aliases-card";
import { AutoReplyDialog } from "~/components/console/auto-reply-dialog";
import { CatchAllCard } from "~/components/console/catch-all-card";
import { DkimRecordCard } from "~/components/console/dkim-record-card";
import { MailingListsCard } from "~/components/console/mailing-lists-card";
import { PolicyEditor } from "~/components/console/policy-editor";
import { RecentMailCard } from "~/components/console/recent-mail-card";
import { SendingLimitsDialog } from "~/components/console/sending-limits-dialog";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader, EmptyState, PageHeader } from "~/components/ui/card";
import { useConfirm } from "~/components/ui/confirm-dialog";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Input } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { Tabs } from "~/components/ui/tabs";
import { displayAddress, displayDomain, formatDateTime } from "~/lib/format";
import { createMailboxInput, resetMailboxPasswordInput } from "~/lib/schemas/domain";
import { errorMessage, useTRPC } from "~/lib/trpc";

export default function DomainPage() {
  const { id } = useParams<{ id: string }>();
  const router = useRouter();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const domain = useQuery(trpc.domain.get.queryOptions({ domainId: id }));
  const rules = useQuery(trpc.domain.passwordRules.queryOptions({ domainId: id }));
  const me = useQuery(trpc.auth.me.queryOptions());
  const [dialog, setDialog] = React.useState<
    null | { mode: "create" } | { mode: "reset"; mailboxId: string; address: string }
  >(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [autoReplyOf, setAutoReplyOf] = React.useState<null | { mailboxId: string; address: string }>(null);
  const [limitsOf, setLimitsOf] = React.useState<null | { mailboxId: string; address: string }>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.domain.get.queryKey({ domainId: id }) });
  const confirm = useConfirm();
  const remove = useMutation(trpc.domain.deleteMailbox.mutationOptions({ onSuccess: refresh }));
  const removeDomain = useMutation(
    trpc.domain.delete.mutationOptions({ onSuccess: () => router.replace("/domains") }),
  );

  if (domain.error) return <Alert tone="error">{errorMessage(domain.error)}</Alert>;
  if (!domain.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const d = domain.data;
  // Stored as DNS knows it (an IDN as punycode), shown as its owner writes it.
  const shownName = displayDomain(d.name);
  // The customer page (its users and customer-level policy) is for provider staff and its customer admins.
  const canOpenCustomer =
    Boolean(me.data?.providerRole) ||
    (me.data?.memberships.some((m) => m.tenantId === d.tenant.id && m.role !== "DOMAIN_ADMIN") ?? false);
  const canEditPolicy =
    me.data?.providerRole === "PROVIDER_ADMIN" ||
    (me.data?.memberships.some((m) => m.role === "CUSTOMER_ADMIN" || m.role === "DOMAIN_ADMIN") ?? false);
  const canDeleteDomain =
    me.data?.providerRole === "PROVIDER_ADMIN" ||
    me.data?.memberships.some((m) => m.role === "CUSTOMER_ADMIN");
  return (
    <>
      <PageHeader
        title={shownName}
        description={
          <>
            <Link href="/domains" className="hover:underline">
              ← Domains
            </Link>{" "}
            ·{" "}
            {canOpenCustomer ? (
              <Link href={`/customers/${d.tenant.id}`} className="hover:underline">
                {d.tenant.name}
              </Link>
            ) : (
              d.tenant.name
            )}
          </>
        }
        action={
          canDeleteDomain ? (
            <Button
              variant="secondary"
              onClick={() =>
                void confirm({
                  title: `Delete ${shownName}?`,
                  description: `All its mailboxes are deleted too, and mail for ${shownName} will be refused.`,
                  confirmLabel: "Delete domain",
                  tone: "danger",
                  onConfirm: () => removeDomain.mutateAsync({ domainId: d.id }),
                })
              }
            >
              Delete domain
            </Button>
          ) : null
        }
      />
      <div className="space-y-6">
        {notice && <Alert tone="success">{notice}</Alert>}
        <Tabs
          label={`Sections of ${shownName}`}
          tabs={[
            {
              id: "mailboxes",
              label: "Mailboxes",
              panel: (
                <Card>
                  <CardHeader
                    title="Mailboxes"
                    description={rules.data ? `Passwords: ${rules.data.description}.` : undefined}
                    action={
                      <Button size="sm" onClick={() => setDialog({ mode: "create" })}>
                        Add mailbox
                      </Button>
                    }
                  />
                  {remove.error && (
                    <Alert tone="error" className="m-4">
                      {errorMessage(remove.error)}
                    </Alert>
                  )}
                  {!d.mailboxes.length ? (
                    <EmptyState title="No mailboxes yet">
                      Mail to unknown addresses at {shownName} is refused at RCPT, so add the mailboxes people
                      use.
                    </EmptyState>
                  ) : (
                    <Table>
                      <thead>
                        <tr>
                          <Th>Address</Th>
                          <Th>Name</Th>
                          <Th className="hidden lg:table-cell">Changed</Th>
                          <Th />
                        </tr>
                      </thead>
                      <tbody>
                        {d.mailboxes.map((m) => (
                          <tr key={m.id}>
                            <Td className="font-medium">
                              {m.localPart}@{shownName}
                              {m.weakPassword && (
                                <Badge
                                  tone="amber"
                                  className="ml-2"
                                  title={`Last login used a password below the policy: ${m.weakPassword.problems.join(" ")} Reset it.`}
                                >
                                  Weak password
                                </Badge>
                              )}
                              {(m.throttleMessagesPerHour !== null || m.throttleMessagesPerDay !== null) && (
                                <Badge
                                  className="ml-2"
                                  title={`Own sending limits: ${m.throttleMessagesPerHour ?? "domain's"} per hour, ${m.throttleMessagesPerDay ?? "domain's"} per day.`}
                                >
                                  Sending limited
                                </Badge>
                              )}
                            </Td>
                            <Td>{m.displayName || "—"}</Td>
                            <Td className="hidden lg:table-cell">{formatDateTime(m.updatedAt)}</Td>
                            <Td className="text-right">
                              {/* On a phone the actions wrap in their cell instead of stretching the row. */}
                              <div className="flex min-w-40 flex-wrap justify-end gap-1">
                                <Button
                                  size="sm"
                                  variant="ghost"
                                  onClick={() =>
                                    setAutoReplyOf({
                                      mailboxId: m.id,
                                      address: `${m.localPart}@${shownName}`,
                                    })
                                  }
                                >
                                  Auto-reply
                                </Button>
                                <Button
                                  size="sm"
                                  variant="ghost"
                                  onClick={() =>
                                    setLimitsOf({ mailboxId: m.id, address: `${m.localPart}@${shownName}` })
                                  }
                                >
                                  Sending limits
                                </Button>
                                <Button
                                  size="sm"
                                  variant="ghost"
                                  onClick={() =>
                                    setDialog({
                                      mode: "reset",
                                      mailboxId: m.id,
                                      address: `${m.localPart}@${shownName}`,
                                    })
                                  }
                                >
                                  Reset password
                                </Button>
                                <Button
                                  size="sm"
                                  variant="ghost"
                                  className="text-red-600"
                                  onClick={() =>
                                    void confirm({
                                      title: `Delete ${m.localPart}@${shownName}?`,
                                      description:
                                        "It can no longer receive or send mail. Its stored mail stays on the server.",
                                      confirmLabel: "Delete mailbox",
                                      tone: "danger",
                                      onConfirm: () => remove.mutateAsync({ mailboxId: m.id }),
                                    })
                                  }
                                >
                                  Delete
                                </Button>
                              </div>
                            </Td>
                          </tr>
                        ))}
                      </tbody>
                    </Table>
                  )}
                </Card>
              ),
            },
            {
              id: "addresses",
              label: "Aliases & lists",
              panel: (
                <div className="space-y-6">
                  <AliasesCard domainId={d.id} domainName={shownName} />
                  <MailingListsCard domainId={d.id} domainName={shownName} />
                  <CatchAllCard domainId={d.id} domainName={shownName} mailboxes={d.mailboxes} />
                </div>
              ),
            },
            {
              id: "policy",
              label: "Policy",
              panel: (
                <section className="space-y-3">
                  <div>
                    <h2 className="text-lg font-semibold">Policy for {shownName}</h2>
                    <p className="text-sm text-slate-500">Enforced by every agent that serves {shownName}.</p>
                  </div>
                  <PolicyEditor
                    target={{ level: "domain", domainId: d.id }}
                    canEdit={canEditPolicy}
                    editedInOwnCard={["catchAllMailbox"]}
                  />
                </section>
              ),
            },
            {
              id: "dns",
              label: "DNS",
              panel: <DkimRecordCard domainId={d.id} domainName={shownName} />,
            },
            {
              id: "mail",
              label: "Recent mail",
              panel: (
                <RecentMailCard
                  domainId={d.id}
                  canOpenServers={
                    Boolean(me.data?.providerRole) ||
                    (me.data?.memberships.some(
                      (m) => m.tenantId === d.tenant.id && m.role !== "DOMAIN_ADMIN",
                    ) ??
                      false)
                  }
                />
              ),
            },
          ]}
        />
      </div>
      {autoReplyOf && (
        <AutoReplyDialog
          mailboxId={autoReplyOf.mailboxId}
          address={autoReplyOf.address}
          onClose={() => setAutoReplyOf(null)}
        />
      )}
      {limitsOf && (
        <SendingLimitsDialog
          mailboxId={limitsOf.mailboxId}
          address={limitsOf.address}
          onClose={() => setLimitsOf(null)}
        />
      )}
      {dialog?.mode === "create" && (
        <AddMailboxDialog
          domainId={d.id}
          domainName={d.name}
          shownName={shownName}
          policy={rules.data?.policy}
          onClose={() => setDialog(null)}
          onCreated={(address) => {
            setDialog(null);
            refresh();
            setNotice(`${displayAddress(address)} created.`);
          }}
        />
      )}
      {dialog?.mode === "reset" && (
        <ResetMailboxPasswordDialog
          mailboxId={dialog.mailboxId}
          address={dialog.address}
          domainName={d.name}
          policy={rules.data?.policy}
          onClose={() => setDialog(null)}
          onChanged={() => {
            setDialog(null);
            setNotice("Password changed. Agents receive the new hash within seconds.");
          }}
        />
      )}
    </>
  );
}

function AddMailboxDialog({
  domainId,
  domainName,
  shownName,
  policy,
  onClose,
  onCreated,
}: {
  domainId: string;
  domainName: string;
  shownName: string;
  policy?: PasswordPolicy;
  onClose: () => void;
  onCreated: (address: string) => void;
}) {
  const trpc = useTRPC();
  const form = useZodForm(createMailboxInput, {
    defaultValues: { domainId, localPart: "", displayName: "", password: "" },
  });
  const localPart = useWatch({ control: form.control, name: "localPart" });
  const create = useMutation(
    trpc.domain.createMailbox.mutationOptions({
      onSuccess: (r) => onCreated(r.address),
      onError: (error) => form.setServerError(error, { detailsField: "password" }),
    }),
  );
  return (
    <Dialog open onClose={onClose} title={`Add a mailbox to ${shownName}`}>
      <Form form={form} onSubmit={(values) => create.mutate({ ...values, domainId })}>
        <FormError form={form} />
        <FormField form={form} name="localPart" id="mailbox-local" label="Address" autoComplete="off">
          {(control) => (
            <div className="flex items-center gap-2">
              <Input {...control} className="min-w-0 flex-1" />
              <span className="max-w-[50%] truncate text-sm text-slate-500">@{shownName}</span>
            </div>
          )}
        </FormField>
        <FormField form={form} name="displayName" id="mailbox-name" label="Display name" autoComplete="off" />
        <FormPasswordField
          form={form}
          name="password"
          id="mailbox-password"
          policy={policy}
          context={{ userName: localPart, domainName }}
        />
        <DialogActions submitLabel="Create mailbox" busy={create.isPending} onCancel={onClose} />
      </Form>
    </Dialog>
  );
}

function ResetMailboxPasswordDialog({
  mailboxId,
  address,
  domainName,
  policy,
  onClose,
  onChanged,
}: {
  mailboxId: string;
  address: string;
  domainName: string;
  policy?: PasswordPolicy;
  onClose: () => void;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const form = useZodForm(resetMailboxPasswordInput, { defaultValues: { mailboxId, password: "" } });
  const reset = useMutation(
    trpc.domain.resetMailboxPassword.mutationOptions({
      onSuccess: onChanged,
      onError: (error) => form.setServerError(error, { detailsField: "password" }),
    }),
  );
  return (
    <Dialog open onClose={onClose} title={`Reset password of ${address}`}>
      <Form form={form} onSubmit={(values) => reset.mutate({ ...values, mailboxId })}>
        <FormError form={form} />
        <FormPasswordField
          form={form}
          name="password"
          id="mailbox-password"
          label="New password"
          policy={policy}
          context={{ userName: address.split("@")[0], domainName }}
        />
        <DialogActions submitLabel="Set password" busy={reset.isPending} onCancel={onClose} />
      </Form>
    </Dialog>
  );
}
