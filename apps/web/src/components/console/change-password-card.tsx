// The signed-in user changes their own console password: the current one is required, the new one is
// checked live against the policy that applies to them (row 14) and again on the server. A password
// that failed the policy at the last sign-in (the policy was tightened since it was set) is flagged here.
"use client";
import { signOut } from "next-auth/react";
import { useMutation } from "@tanstack/react-query";
import type { PasswordPolicy } from "@mailwarden/policy";
import { Form, FormError, FormPasswordField, useZodForm } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader } from "~/components/ui/card";
import { changePasswordInput } from "~/lib/schemas/auth";
import { useTRPC } from "~/lib/trpc";

export function ChangePasswordCard({
  email,
  policy,
  weakProblems,
}: {
  email: string;
  policy: PasswordPolicy;
  weakProblems: string[];
}) {
  const trpc = useTRPC();
  const form = useZodForm(changePasswordInput, { defaultValues: { currentPassword: "", newPassword: "" } });
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      // The change ended every session, this one too: sign in again with the new password.
      onSuccess: () => void signOut({ callbackUrl: "/login?reason=password-changed" }),
      onError: (error) => form.setServerError(error, { detailsField: "newPassword" }),
    }),
  );
  const [userName, domainName] = email.split("@");
  return (
    <Card>
      <CardHeader
        title="Password"
        action={weakProblems.length > 0 ? <Badge tone="amber">Below policy</Badge> : undefined}
      />
      <Form
        form={form}
        className="p-5 text-sm"
        onSubmit={(values) => {
          change.reset();
          change.mutate(values);
        }}
      >
        {weakProblems.length > 0 && (
          <Alert tone="warning">
            Your password no longer meets the password policy: {weakProblems.join(" ")} Change it below.
          </Alert>
        )}
        {change.isSuccess && <Alert tone="success">Password changed. Signing you out…</Alert>}
        <FormError form={form} />
        <FormPasswordField
          form={form}
          name="currentPassword"
          id="current-password"
          label="Current password"
          autoComplete="current-password"
        />
        <FormPasswordField
          form={form}
          name="newPassword"
          id="new-password"
          label="New password"
          policy={policy}
          context={{ userName, domainName }}
        />
        <p className="text-xs text-slate-500">
          Changing it signs you out everywhere, this browser too; then you sign in with the new password.
        </p>
        <Button type="submit" busy={change.isPending}>
          Change password
        </Button>
      </Form>
    </Card>
  );
}
