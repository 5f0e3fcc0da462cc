// Sign-in: email and password, then a second step for the authentication code or a recovery code.
"use client";
import * as React from "react";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { AuthShell } from "~/components/auth-shell";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, Input } from "~/components/ui/input";

const SECOND_FACTOR = "second-factor-required";

export default function LoginPage() {
  const router = useRouter();
  const [step, setStep] = React.useState<"password" | "code">("password");
  const [useRecovery, setUseRecovery] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [form, setForm] = React.useState({ email: "", password: "", totpCode: "", recoveryCode: "" });

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", {
      redirect: false,
      email: form.email,
      password: form.password,
      totpCode: step === "code" && !useRecovery ? form.totpCode : "",
      recoveryCode: step === "code" && useRecovery ? form.recoveryCode : "",
    });
    setBusy(false);
    if (res?.error === SECOND_FACTOR) {
      setStep("code");
      return;
    }
    if (res?.error) {
      setError(res.error === "CredentialsSignin" ? "Invalid email or password." : res.error);
      return;
    }
    router.replace("/");
    router.refresh();
  }

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [key]: e.target.value });

  return (
    <AuthShell
      title={step === "password" ? "Sign in" : "Two-factor authentication"}
      subtitle={
        step === "password"
          ? "Use your Mailwarden console account."
          : useRecovery
            ? "Enter one of your recovery codes. Each works once."
            : "Enter the 6-digit code from your authenticator app."
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        {error && <Alert tone="error">{error}</Alert>}
        {step === "password" ? (
          <>
            <Field label="Email" htmlFor="email">
              <Input
                id="email"
                type="email"
                autoComplete="username"
                required
                value={form.email}
                onChange={set("email")}
              />
            </Field>
            <Field label="Password" htmlFor="password">
              <Input
                id="password"
                type="password"
                autoComplete="current-password"
                required
                value={form.password}
                onChange={set("password")}
              />
            </Field>
          </>
        ) : useRecovery ? (
          <Field label="Recovery code" htmlFor="recoveryCode">
            <Input
              id="recoveryCode"
              autoComplete="off"
              autoFocus
              value={form.recoveryCode}
              onChange={set("recoveryCode")}
              placeholder="xxxxx-xxxxx"
            />
          </Field>
        ) : (
          <Field label="Authentication code" htmlFor="totpCode">
            <Input
              id="totpCode"
              inputMode="numeric"
              autoComplete="one-time-code"
              autoFocus
              maxLength={6}
              value={form.totpCode}
              onChange={set("totpCode")}
              placeholder="123456"
            />
          </Field>
        )}
        <Button type="submit" className="w-full" busy={busy}>
          {step === "password" ? "Continue" : "Verify and sign in"}
        </Button>
        {step === "code" && (
          <button
            type="button"
            className="w-full text-center text-sm text-brand-600 hover:underline"
            onClick={() => {
              setUseRecovery(!useRecovery);
              setError(null);
            }}
          >
            {useRecovery ? "Use an authentication code instead" : "Lost your device? Use a recovery code"}
          </button>
        )}
      </form>
    </AuthShell>
  );
}
