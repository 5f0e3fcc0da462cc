// People: the hosting provider's own console users (provider admins and auditors, both with mandatory
// 2FA), what an admin can do to their accounts, how long an unused console session lasts and how long
// the mail log is kept.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useWatch } from "react-hook-form";
import { LogRetentionCard } from "~/components/console/log-retention-card";
import { UserAccountActions } from "~/components/console/user-account-actions";
import { Form, FormError, FormField, FormPasswordField, useZodForm } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader, EmptyState, PageHeader } from "~/components/ui/card";
import { useConfirm } from "~/components/ui/confirm-dialog";
import { Dialog, DialogActions } from "~/components/ui/dialog";
import { Select } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { roleLabel, timeAgo } from "~/lib/format";
import { addStaffInput, consoleSettingsInput, staffRoles } from "~/lib/schemas/people";
import { useTRPC } from "~/lib/trpc";

const roleHelp = {
  PROVIDER_ADMIN: "Everything: customers, servers, the provider's policy, people.",
  AUDITOR: "Reads everything, changes nothing.",
} as const;

export default function PeoplePage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const confirm = useConfirm();
  const me = useQuery(trpc.auth.me.queryOptions());
  const staff = useQuery(trpc.people.staff.queryOptions());
  const canWrite = me.data?.providerRole === "PROVIDER_ADMIN";
  const [adding, setAdding] = React.useState(false);
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.people.staff.queryKey() });
  const changeRole = useMutation(trpc.people.changeStaffRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.people.removeStaff.mutationOptions({ onSuccess: refresh }));

  return (
    <>
      <PageHeader
        title="People"
        description="Your staff in the console. Everyone here must use two-factor authentication."
        action={canWrite ? <Button onClick={() => setAdding(true)}>Add person</Button> : null}
      />
      <div className="space-y-6">
        <Card>
          <CardHeader
            title="Provider staff"
            description="Customers' own users are on each customer's page."
          />
          {staff.error && (
            <Alert tone="error">Could not load the staff list. Reload the page to try again.</Alert>
          )}
          {staff.data && staff.data.length === 0 && <EmptyState title="Nobody yet" />}
          {staff.data && staff.data.length > 0 && (
            <Table>
              <thead>
                <tr>
                  <Th>Person</Th>
                  <Th>Role</Th>
                  <Th>Two-factor</Th>
                  <Th>Last sign-in</Th>
                  {canWrite && <Th>Actions</Th>}
                </tr>
              </thead>
              <tbody>
                {staff.data.map((person) => (
                  <tr key={person.userId} data-testid={`person-${person.email}`}>
                    <Td>
                      <div className="font-medium text-slate-900">
                        {person.name} {person.isYou && <Badge>You</Badge>}{" "}
                        {person.isLocked && <Badge tone="red">Locked</Badge>}
                      </div>
                      <div className="text-slate-500">{person.email}</div>
                    </Td>
                    <Td>
                      {canWrite && !person.isYou ? (
                        <Select
                          aria-label={`Role of ${person.email}`}
                          value={person.role}
                          onChange={(e) => {
                            const role = e.target.value as (typeof staffRoles)[number];
                            void confirm({
                              title: `Make ${person.email} ${roleLabel(role).toLowerCase()}?`,
                              description: `${roleHelp[role]} They are signed out everywhere and sign in again with the new role.`,
                              confirmLabel: "Change role",
                              onConfirm: () => changeRole.mutateAsync({ userId: person.userId, role }),
                            });
                          }}
                        >
                          {staffRoles.map((r) => (
                            <option key={r} value={r}>
                              {roleLabel(r)}
                            </option>
                          ))}
                        </Select>
                      ) : (
                        roleLabel(person.role)
                      )}
                    </Td>
                    <Td>
                      {person.has2fa ? (
                        <Badge tone="green">On</Badge>
                      ) : (
                        <Badge tone="amber">Not set up yet</Badge>
                      )}
                    </Td>
                    <Td className="whitespace-nowrap">{timeAgo(person.lastLoginAt)}</Td>
                    {canWrite && (
                      <Td>
                        {!person.isYou && (
                          <div className="flex flex-wrap gap-1.5">
                            <UserAccountActions user={person} />
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() =>
                                void confirm({
                                  title: `Remove ${person.email}?`,
                                  description:
                                    "Their console account is deleted and they are signed out everywhere. The audit log keeps what they did.",
                                  confirmLabel: "Remove",
                                  tone: "danger",
                                  onConfirm: () => remove.mutateAsync({ userId: person.userId }),
                                })
                              }
                            >
                              Remove
                            </Button>
                          </div>
                        )}
                      </Td>
                    )}
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Card>
        <SessionSettingsCard canWrite={canWrite} />
        <LogRetentionCard canWrite={canWrite} />
      </div>
      {canWrite && me.data && (
        <AddPersonDialog
          open={adding}
          onClose={() => setAdding(false)}
          onAdded={refresh}
          policy={me.data.passwordPolicy}
        />
      )}
    </>
  );
}

function AddPersonDialog({
  open,
  onClose,
  onAdded,
  policy,
}: {
  open: boolean;
  onClose: () => void;
  onAdded: () => void;
  policy: Parameters<typeof FormPasswordField>[0]["policy"];
}) {
  const trpc = useTRPC();
  const form = useZodForm(addStaffInput, {
    defaultValues: { name: "", email: "", role: "AUDITOR", password: "" },
  });
  const email = useWatch({ control: form.control, name: "email" });
  const add = useMutation(
    trpc.people.addStaff.mutationOptions({
      onSuccess: () => {
        onAdded();
        close();
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  const close = () => {
    form.reset();
    add.reset();
    onClose();
  };
  const role = useWatch({ control: form.control, name: "role" });
  return (
    <Dialog open={open} onClose={close} title="Add a person">
      <Form form={form} onSubmit={(values) => add.mutate(values)}>
        <FormError form={form} />
        <FormField form={form} name="name" label="Name" autoComplete="off" />
        <FormField form={form} name="email" label="Email" type="email" autoComplete="off" />
        <FormField form={form} name="role" label="Role" hint={roleHelp[role as keyof typeof roleHelp]}>
          {(control) => (
            <Select {...control}>
              {staffRoles.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <FormPasswordField
          form={form}
          name="password"
          label="Initial password"
          policy={policy}
          context={{ userName: email?.split("@")[0], domainName: email?.split("@")[1] }}
        />
        <p className="text-xs text-slate-500">
          Give them the password by a channel you trust. At their first sign-in they set up two-factor
          authentication before anything else.
        </p>
        <DialogActions submitLabel="Add person" busy={add.isPending} onCancel={close} />
      </Form>
    </Dialog>
  );
}

function SessionSettingsCard({ canWrite }: { canWrite: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const settings = useQuery(trpc.people.consoleSettings.queryOptions());
  const form = useZodForm(consoleSettingsInput, { values: settings.data });
  const [saved, setSaved] = React.useState(false);
  const update = useMutation(
    trpc.people.updateConsoleSettings.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        void qc.invalidateQueries({ queryKey: trpc.people.consoleSettings.queryKey() });
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  return (
    <Card>
      <CardHeader
        title="Console sessions"
        description="Everyone — staff and customers — is signed out after this long without using the console."
      />
      <Form
        form={form}
        className="p-5"
        onSubmit={(values) => {
          setSaved(false);
          update.mutate(values);
        }}
      >
        <FormError form={form} />
        <FormField
          form={form}
          name="idleTimeoutMinutes"
          label="Sign out after (minutes without activity)"
          type="number"
          inputMode="numeric"
          min={5}
          max={1440}
          className="max-w-xs"
          disabled={!canWrite}
        />
        {canWrite && (
          <div className="flex items-center gap-3">
            <Button type="submit" busy={update.isPending}>
              Save
            </Button>
            {saved && !form.formState.isDirty && <span className="text-sm text-emerald-700">Saved.</span>}
          </div>
        )}
      </Form>
    </Card>
  );
}
