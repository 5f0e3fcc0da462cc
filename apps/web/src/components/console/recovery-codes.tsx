// One-time recovery codes as they are shown once (after 2FA setup, or new ones from the account page):
// the list, and buttons to copy them all or download them as a text file to keep somewhere safe.
"use client";
import * as React from "react";
import { Button } from "~/components/ui/button";

export function RecoveryCodes({ codes, email }: { codes: string[]; email: string }) {
  const [copied, setCopied] = React.useState(false);
  const text = [
    `Mailwarden recovery codes for ${email}`,
    "Each code signs you in once instead of an authentication code.",
    "",
    ...codes,
    "",
  ].join("\n");
  function download() {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "mailwarden-recovery-codes.txt";
    link.click();
    URL.revokeObjectURL(url);
  }
  return (
    <div className="space-y-3">
      <ul
        className="grid grid-cols-2 gap-2 rounded-md bg-slate-50 p-4 font-mono text-sm"
        data-testid="recovery-codes"
      >
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button
          type="button"
          variant="secondary"
          size="sm"
          onClick={() => void navigator.clipboard?.writeText(text).then(() => setCopied(true))}
        >
          {copied ? "Copied" : "Copy codes"}
        </Button>
        <Button type="button" variant="secondary" size="sm" onClick={download}>
          Download as text
        </Button>
      </div>
      <p className="text-xs text-slate-500">
        Each code works once. They are shown only now: keep them in a password manager or print them.
      </p>
    </div>
  );
}
