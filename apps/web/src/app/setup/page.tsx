// First-run setup: the one-time link printed at start creates the first provider admin.
"use client";
import * as React from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { defaultPolicy } from "@mailwarden/policy";
import { AuthShell } from "~/components/auth-shell";
import { PasswordInput } from "~/components/password-input";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, Input } from "~/components/ui/input";
import { errorMessage, useTRPC } from "~/lib/trpc";

function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const token = useSearchParams().get("token") ?? "";
  const status = useQuery(trpc.auth.setupStatus.queryOptions({ token }));
  const complete = useMutation(
    trpc.auth.completeSetup.mutationOptions({ onSuccess: () => router.replace("/login?setup=done") }),
  );
  const [form, setForm] = React.useState({ name: "", email: "", password: "" });

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
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        complete.mutate({ token, ...form });
      }}
    >
      {complete.error && <Alert tone="error">{errorMessage(complete.error)}</Alert>}
      <Field label="Your name" htmlFor="name">
        <Input
          id="name"
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
          required
        />
      </Field>
      <Field label="Email" htmlFor="email">
        <Input
          id="email"
          type="email"
          autoComplete="username"
          value={form.email}
          onChange={(e) => setForm({ ...form, email: e.target.value })}
          required
        />
      </Field>
      <PasswordInput
        id="password"
        value={form.password}
        onChange={(password) => setForm({ ...form, password })}
        policy={defaultPolicy.passwordPolicy}
        context={{ userName: form.email.split("@")[0] }}
      />
      <Button type="submit" className="w-full" busy={complete.isPending}>
        Create provider admin
      </Button>
      <p className="text-xs text-slate-500">
        Next you will sign in and set up two-factor authentication, which is mandatory for provider admins.
      </p>
    </form>
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
