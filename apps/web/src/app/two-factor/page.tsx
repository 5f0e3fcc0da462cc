// 2FA enrollment: scan the QR code (or type the secret), confirm one code, then keep the ten recovery
// codes shown once. Provider admins are sent here after their first sign-in.
"use client";
import * as React from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { AuthShell } from "~/components/auth-shell";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, Input } from "~/components/ui/input";
import { errorMessage, useTRPC } from "~/lib/trpc";

export default function TwoFactorPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const me = useQuery(trpc.auth.me.queryOptions());
  const begin = useMutation(trpc.auth.beginTotp.mutationOptions());
  const confirm = useMutation(trpc.auth.confirmTotp.mutationOptions());
  const [code, setCode] = React.useState("");
  const started = React.useRef(false);

  React.useEffect(() => {
    if (me.data && !me.data.totpEnabled && !started.current) {
      started.current = true;
      begin.mutate();
    }
  }, [me.data, begin]);

  if (me.error) {
    return (
      <AuthShell title="Two-factor authentication">
        <Alert tone="error">
          {errorMessage(me.error)}{" "}
          <a href="/login" className="underline">
            Sign in
          </a>
        </Alert>
      </AuthShell>
    );
  }

  if (confirm.data) {
    return (
      <AuthShell
        title="Save your recovery codes"
        subtitle="Each code signs you in once if you lose your phone. They are not shown again."
      >
        <ul
          className="grid grid-cols-2 gap-2 rounded-md bg-slate-50 p-4 font-mono text-sm"
          data-testid="recovery-codes"
        >
          {confirm.data.recoveryCodes.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
        <Button
          className="mt-6 w-full"
          onClick={() => {
            router.replace("/");
            router.refresh();
          }}
        >
          I saved them — continue
        </Button>
      </AuthShell>
    );
  }

  if (me.data?.totpEnabled) {
    return (
      <AuthShell title="Two-factor authentication is on">
        <Button className="w-full" onClick={() => router.replace("/")}>
          Go to the console
        </Button>
      </AuthShell>
    );
  }

  return (
    <AuthShell
      title="Set up two-factor authentication"
      subtitle={
        me.data?.needs2faSetup
          ? "Required for your account before you can continue."
          : "Protect your account with an authenticator app."
      }
    >
      {begin.error && <Alert tone="error">{errorMessage(begin.error)}</Alert>}
      {!begin.data ? (
        <p className="text-sm text-slate-500">Generating your secret…</p>
      ) : (
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            confirm.mutate({ code });
          }}
        >
          <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-600">
            <li>Scan this code with an authenticator app (1Password, Google Authenticator, Aegis…).</li>
            <li>Enter the 6-digit code it shows.</li>
          </ol>
          <img
            src={begin.data.qrDataUrl}
            alt="QR code for your authenticator app"
            className="mx-auto size-48"
          />
          <p className="text-center text-xs text-slate-500">
            Can’t scan? Enter this secret:{" "}
            <code className="break-all font-mono text-slate-800" data-testid="totp-secret">
              {begin.data.secret}
            </code>
          </p>
          {confirm.error && <Alert tone="error">{errorMessage(confirm.error)}</Alert>}
          <Field label="Authentication code" htmlFor="code">
            <Input
              id="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </Field>
          <Button type="submit" className="w-full" busy={confirm.isPending}>
            Turn on two-factor authentication
          </Button>
        </form>
      )}
    </AuthShell>
  );
}
