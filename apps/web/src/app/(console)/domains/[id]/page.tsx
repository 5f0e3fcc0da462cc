// One domain: its mailboxes (create, reset password, auto-reply, sending limits, delete) and its security
// settings.
"use client";
import * as React from "react";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { PasswordInput } from "~/components/password-input";
import { AliasesCard } from "~/components/console/aliases-card";
import { AutoReplyDialog } from "~/components/console/auto-reply-dialog";
import { CatchAllCard } from "~/components/console/catch-all-card";
import { DkimRecordCard } from "~/components/console/dkim-record-card";
import { MailingListsCard } from "~/components/console/mailing-lists-card";
import { PolicyEditor } from "~/components/console/policy-editor";
import { SendingLimitsDialog } from "~/components/console/sending-limits-dialog";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader, EmptyState, PageHeader } from "~/components/ui/card";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Field, Input } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { Tabs } from "~/components/ui/tabs";
import { displayDomain, formatDateTime } from "~/lib/format";
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
  const [form, setForm] = React.useState({ localPart: "", displayName: "", password: "" });
  const [notice, setNotice] = React.useState<string | null>(null);
  const [autoReplyOf, setAutoReplyOf] = React.useState<null | { mailboxId: string; address: string }>(null);
  const [limitsOf, setLimitsOf] = React.useState<null | { mailboxId: string; address: string }>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.domain.get.queryKey({ domainId: id }) });
  const close = () => {
    setDialog(null);
    setForm({ localPart: "", displayName: "", password: "" });
  };
  const create = useMutation(
    trpc.domain.createMailbox.mutationOptions({
      onSuccess: (r) => {
        close();
        refresh();
        setNotice(`${r.address} created.`);
      },
    }),
  );
  const reset = useMutation(
    trpc.domain.resetMailboxPassword.mutationOptions({
      onSuccess: () => {
        close();
        setNotice("Password changed. Agents receive the new hash within seconds.");
      },
    }),
  );
  const remove = useMutation(trpc.domain.deleteMailbox.mutationOptions({ onSuccess: refresh }));
  const removeDomain = useMutation(
    trpc.domain.delete.mutationOptions({ onSuccess: () => router.replace("/domains") }),
  );

  if (domain.error) return <Alert tone="error">{errorMessage(domain.error)}</Alert>;
  if (!domain.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const d = domain.data;
  // Stored as DNS knows it (an IDN as punycode), shown as its owner writes it.
  const shownName = displayDomain(d.name);
  const mutation = dialog?.mode === "reset" ? reset : create;
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
                confirm(`Delete ${shownName} and all its mailboxes? Mail for it will be refused.`) &&
                removeDomain.mutate({ domainId: d.id })
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
                          <Th>Changed</Th>
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
                            <Td>{formatDateTime(m.updatedAt)}</Td>
                            <Td className="whitespace-nowrap text-right">
                              <Button
                                size="sm"
                                variant="ghost"
                                onClick={() =>
                                  setAutoReplyOf({ mailboxId: m.id, address: `${m.localPart}@${shownName}` })
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
                                  confirm(
                                    `Delete ${m.localPart}@${shownName}? Its stored mail stays on the server.`,
                                  ) && remove.mutate({ mailboxId: m.id })
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
      <Dialog
        open={dialog !== null}
        onClose={close}
        title={
          dialog?.mode === "reset" ? `Reset password of ${dialog.address}` : `Add a mailbox to ${shownName}`
        }
      >
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            if (dialog?.mode === "reset")
              reset.mutate({ mailboxId: dialog.mailboxId, password: form.password });
            else create.mutate({ domainId: d.id, ...form });
          }}
        >
          {mutation.error && <Alert tone="error">{errorMessage(mutation.error)}</Alert>}
          {dialog?.mode === "create" && (
            <>
              <Field label="Address" htmlFor="mailbox-local">
                <div className="flex items-center gap-2">
                  <Input
                    id="mailbox-local"
                    value={form.localPart}
                    onChange={(e) => setForm({ ...form, localPart: e.target.value })}
                  />
                  <span className="text-sm text-slate-500">@{shownName}</span>
                </div>
              </Field>
              <Field label="Display name" htmlFor="mailbox-name">
                <Input
                  id="mailbox-name"
                  value={form.displayName}
                  onChange={(e) => setForm({ ...form, displayName: e.target.value })}
                />
              </Field>
            </>
          )}
          {rules.data && (
            <PasswordInput
              id="mailbox-password"
              label={dialog?.mode === "reset" ? "New password" : "Password"}
              value={form.password}
              onChange={(password) => setForm({ ...form, password })}
              policy={rules.data.policy}
              context={{
                userName: dialog?.mode === "reset" ? dialog.address.split("@")[0] : form.localPart,
                domainName: d.name,
              }}
            />
          )}
          <DialogActions
            submitLabel={dialog?.mode === "reset" ? "Set password" : "Create mailbox"}
            busy={mutation.isPending}
            onCancel={close}
          />
        </form>
      </Dialog>
    </>
  );
}
