// First-run setup: the one-time link printed at start creates the first provider admin.
"use client";
import * as React from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { defaultPolicy } from "@mailwarden/policy";
import { AuthShell } from "~/components/auth-shell";
import { useWatch } from "react-hook-form";
import { Form, FormError, FormField, FormPasswordField, useZodForm } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { completeSetupInput } from "~/lib/schemas/auth";
import { useTRPC } from "~/lib/trpc";

function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const token = useSearchParams().get("token") ?? "";
  const status = useQuery(trpc.auth.setupStatus.queryOptions({ token }));
  const form = useZodForm(completeSetupInput, {
    defaultValues: { token, name: "", email: "", password: "" },
  });
  const complete = useMutation(
    trpc.auth.completeSetup.mutationOptions({
      onSuccess: () => router.replace("/login?setup=done"),
      onError: (error) => form.setServerError(error, { detailsField: "password" }),
    }),
  );
  const email = useWatch({ control: form.control, name: "email" });

  if (status.isLoading) return <p className="text-sm text-slate-500">Checking your setup link…</p>;
  if (!status.data?.needsSetup)
    return (
      <Alert tone="info">
        Mailwarden is already set up.{" "}
        <a className="underline" href="/login">
          Sign in
        </a>
        .
      </Alert>
    );
  if (!status.data.tokenValid) {
    return (
      <Alert tone="error">
        This setup link is invalid or expired. Restart Mailwarden: it prints a new one-time link on the
        console.
      </Alert>
    );
  }
  return (
    <Form form={form} onSubmit={(values) => complete.mutate({ ...values, token })}>
      <FormError form={form} />
      <FormField form={form} name="name" label="Your name" autoComplete="name" />
      <FormField form={form} name="email" label="Email" autoComplete="username" />
      <FormPasswordField
        form={form}
        name="password"
        policy={defaultPolicy.passwordPolicy}
        context={{ userName: (email ?? "").split("@")[0] }}
      />
      <Button type="submit" className="w-full" busy={complete.isPending}>
        Create provider admin
      </Button>
      <p className="text-xs text-slate-500">
        Next you will sign in and set up two-factor authentication, which is mandatory for provider admins.
      </p>
    </Form>
  );
}

export default function SetupPage() {
  return (
    <AuthShell title="Set up Mailwarden" subtitle="Create the first provider admin. This link works once.">
      <React.Suspense>
        <SetupForm />
      </React.Suspense>
    </AuthShell>
  );
}
