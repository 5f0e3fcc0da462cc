// Choosing a new password with the one-time link an admin issued (1 h, single use). The token is read
// from the URL's fragment, which browsers never send to a server or a proxy's log.
"use client";
import * as React from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { AuthShell } from "~/components/auth-shell";
import { Form, FormError, FormPasswordField, useZodForm } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { passwordResetInput } from "~/lib/schemas/people";
import { useTRPC } from "~/lib/trpc";

function useFragmentToken(): string | null {
  const [token, setToken] = React.useState<string | null>(null);
  React.useEffect(() => {
    setToken(new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "");
  }, []);
  return token;
}

function ResetForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const status = useQuery(trpc.auth.passwordResetStatus.queryOptions({ token }));
  const form = useZodForm(passwordResetInput, { defaultValues: { token, password: "" } });
  const complete = useMutation(
    trpc.auth.completePasswordReset.mutationOptions({
      onSuccess: () => router.replace("/login?reset=done"),
      onError: (error) => form.setServerError(error, { detailsField: "password" }),
    }),
  );
  if (status.isLoading) return <p className="text-sm text-slate-500">Checking your link…</p>;
  if (!status.data?.isValid)
    return (
      <Alert tone="error">
        This password-reset link is not valid any more: it was used, it expired (links last one hour), or a
        newer one replaced it. Ask your administrator for a new link.
      </Alert>
    );
  const [userName, domainName] = status.data.email.split("@");
  return (
    <Form form={form} onSubmit={(values) => complete.mutate({ ...values, token })}>
      <p className="text-sm text-slate-600">
        New password for <span className="font-medium text-slate-900">{status.data.email}</span>.
      </p>
      <FormError form={form} />
      <FormPasswordField
        form={form}
        name="password"
        label="New password"
        policy={status.data.policy}
        context={{ userName, domainName }}
      />
      <Button type="submit" className="w-full" busy={complete.isPending}>
        Set password
      </Button>
      <p className="text-xs text-slate-500">
        You will be signed out everywhere and sign in with the new password.
      </p>
    </Form>
  );
}

export default function ResetPasswordPage() {
  const token = useFragmentToken();
  return (
    <AuthShell title="Choose a new password" subtitle="This link works once.">
      {token === null ? (
        <p className="text-sm text-slate-500">Checking your link…</p>
      ) : (
        <ResetForm token={token} />
      )}
    </AuthShell>
  );
}
