// Why the sign-in page was opened, when another page sent the user here on purpose: set-up finished, a
// new password chosen with a reset link, or a password change that signed them out everywhere.
"use client";
import * as React from "react";
import { useSearchParams } from "next/navigation";
import { Alert } from "~/components/ui/alert";

const notices: Record<string, string> = {
  "setup=done": "Your provider admin account is ready. Sign in to set up two-factor authentication.",
  "reset=done": "Your new password is set and you were signed out everywhere. Sign in with it.",
  "reason=password-changed":
    "Password changed. You were signed out everywhere: sign in with your new password.",
};

function Notice() {
  const params = useSearchParams();
  const key = Object.keys(notices).find((k) => {
    const [name, value] = k.split("=");
    return params.get(name!) === value;
  });
  return key ? <Alert tone="success">{notices[key]}</Alert> : null;
}

export function SignInNotice() {
  return (
    <React.Suspense>
      <div className="mb-4 empty:hidden">
        <Notice />
      </div>
    </React.Suspense>
  );
}
