// Sign-in: email and password, then a second step for the authentication code or a recovery code. Each
// step is a schema form; what the sign-in answers (wrong password, locked, wait) shows above the fields.
"use client";
import * as React from "react";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { AuthShell } from "~/components/auth-shell";
import { SignInNotice } from "~/components/sign-in-notice";
import { Form, FormError, FormField, useZodForm } from "~/components/form";
import { Button } from "~/components/ui/button";
import { errorMessage } from "~/lib/error-message";
import { signInCodeInput, signInInput, signInRecoveryInput } from "~/lib/schemas/auth";

const SECOND_FACTOR = "second-factor-required";

type Credentials = { email: string; password: string };
type Outcome = "signed-in" | "second-factor" | { error: string };

async function attemptSignIn(credentials: Credentials, factor: { totpCode?: string; recoveryCode?: string }) {
  const res = await signIn("credentials", {
    redirect: false,
    email: credentials.email,
    password: credentials.password,
    totpCode: factor.totpCode ?? "",
    recoveryCode: factor.recoveryCode ?? "",
  });
  if (res?.error === SECOND_FACTOR) return "second-factor" satisfies Outcome;
  if (res?.error) {
    const message = res.error === "CredentialsSignin" ? "Invalid email or password." : res.error;
    return { error: errorMessage(message) ?? "Sign-in failed." } satisfies Outcome;
  }
  return "signed-in" satisfies Outcome;
}

function PasswordStep({ onOutcome }: { onOutcome: (credentials: Credentials, outcome: Outcome) => void }) {
  const form = useZodForm(signInInput, { defaultValues: { email: "", password: "" } });
  return (
    <Form
      form={form}
      onSubmit={async (values) => {
        const outcome = await attemptSignIn(values, {});
        if (typeof outcome === "object") form.setError("root.server", { message: outcome.error });
        onOutcome(values, outcome);
      }}
    >
      <FormError form={form} />
      <FormField form={form} name="email" label="Email" autoComplete="username" />
      <FormField
        form={form}
        name="password"
        label="Password"
        type="password"
        autoComplete="current-password"
      />
      <Button type="submit" className="w-full" busy={form.formState.isSubmitting}>
        Continue
      </Button>
    </Form>
  );
}

function CodeStep({ credentials, onSignedIn }: { credentials: Credentials; onSignedIn: () => void }) {
  const [useRecovery, setUseRecovery] = React.useState(false);
  return (
    <div className="space-y-4">
      {useRecovery ? (
        <RecoveryCodeForm credentials={credentials} onSignedIn={onSignedIn} />
      ) : (
        <TotpCodeForm credentials={credentials} onSignedIn={onSignedIn} />
      )}
      <button
        type="button"
        className="w-full text-center text-sm text-brand-600 hover:underline"
        onClick={() => setUseRecovery(!useRecovery)}
      >
        {useRecovery ? "Use an authentication code instead" : "Lost your device? Use a recovery code"}
      </button>
    </div>
  );
}

function TotpCodeForm({ credentials, onSignedIn }: { credentials: Credentials; onSignedIn: () => void }) {
  const form = useZodForm(signInCodeInput, { defaultValues: { totpCode: "" } });
  return (
    <Form
      form={form}
      onSubmit={async ({ totpCode }) => {
        const outcome = await attemptSignIn(credentials, { totpCode });
        if (outcome === "signed-in") onSignedIn();
        else if (typeof outcome === "object") form.setError("root.server", { message: outcome.error });
      }}
    >
      <FormError form={form} />
      <FormField
        form={form}
        name="totpCode"
        label="Authentication code"
        inputMode="numeric"
        autoComplete="one-time-code"
        autoFocus
        placeholder="123456"
      />
      <Button type="submit" className="w-full" busy={form.formState.isSubmitting}>
        Verify and sign in
      </Button>
    </Form>
  );
}

function RecoveryCodeForm({ credentials, onSignedIn }: { credentials: Credentials; onSignedIn: () => void }) {
  const form = useZodForm(signInRecoveryInput, { defaultValues: { recoveryCode: "" } });
  return (
    <Form
      form={form}
      onSubmit={async ({ recoveryCode }) => {
        const outcome = await attemptSignIn(credentials, { recoveryCode });
        if (outcome === "signed-in") onSignedIn();
        else if (typeof outcome === "object") form.setError("root.server", { message: outcome.error });
      }}
    >
      <FormError form={form} />
      <FormField
        form={form}
        name="recoveryCode"
        label="Recovery code"
        autoComplete="off"
        autoFocus
        placeholder="xxxxx-xxxxx"
      />
      <Button type="submit" className="w-full" busy={form.formState.isSubmitting}>
        Verify and sign in
      </Button>
    </Form>
  );
}

export default function LoginPage() {
  const router = useRouter();
  const [credentials, setCredentials] = React.useState<Credentials | null>(null);
  const signedIn = () => {
    router.replace("/");
    router.refresh();
  };
  return (
    <AuthShell
      title={credentials ? "Two-factor authentication" : "Sign in"}
      subtitle={
        credentials
          ? "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
          : "Use your Mailwarden console account."
      }
    >
      {credentials ? (
        <CodeStep credentials={credentials} onSignedIn={signedIn} />
      ) : (
        <>
          <SignInNotice />
          <PasswordStep
            onOutcome={(values, outcome) => {
              if (outcome === "second-factor") setCredentials(values);
              else if (outcome === "signed-in") signedIn();
            }}
          />
        </>
      )}
    </AuthShell>
  );
}
