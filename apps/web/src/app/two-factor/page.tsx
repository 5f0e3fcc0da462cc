// 2FA enrollment: scan the QR code (or type the secret), confirm one code, then keep the ten recovery
// codes shown once. Provider admins are sent here after their first sign-in.
"use client";
import * as React from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { AuthShell } from "~/components/auth-shell";
import { RecoveryCodes } from "~/components/console/recovery-codes";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Form, FormError, FormField, useZodForm } from "~/components/form";
import { totpCodeInput } from "~/lib/schemas/auth";
import { errorMessage, useTRPC } from "~/lib/trpc";

export default function TwoFactorPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const me = useQuery(trpc.auth.me.queryOptions());
  const begin = useMutation(trpc.auth.beginTotp.mutationOptions());
  const codeForm = useZodForm(totpCodeInput, { defaultValues: { code: "" } });
  const confirm = useMutation(
    trpc.auth.confirmTotp.mutationOptions({ onError: (error) => codeForm.setServerError(error) }),
  );
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
        title="Two-factor authentication is on"
        subtitle="From now on you sign in with your password and a code from your app."
      >
        <Alert tone="success">
          Save your recovery codes now. Each one signs you in once if you lose your phone; they are not shown
          again.
        </Alert>
        <div className="mt-4">
          <RecoveryCodes codes={confirm.data.recoveryCodes} email={me.data?.email ?? ""} />
        </div>
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
        <Form form={codeForm} onSubmit={(values) => confirm.mutate(values)}>
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
          <FormError form={codeForm} />
          <FormField
            form={codeForm}
            name="code"
            id="code"
            label="Authentication code"
            inputMode="numeric"
            autoComplete="one-time-code"
            placeholder="123456"
          />
          <Button type="submit" className="w-full" busy={confirm.isPending}>
            Turn on two-factor authentication
          </Button>
          <p className="text-center text-xs text-slate-500">
            This page keeps the same code until you confirm it.{" "}
            <button
              type="button"
              className="font-medium text-brand-600 hover:underline"
              onClick={() => {
                codeForm.reset();
                begin.mutate({ restart: true });
              }}
            >
              Start over with a new QR code
            </button>
          </p>
        </Form>
      )}
    </AuthShell>
  );
}
