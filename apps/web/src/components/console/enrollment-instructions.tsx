// What to run on the new host, with the one-time token and when it expires.
"use client";
import { CopyBlock } from "../copy-block";
import { formatDateTime } from "~/lib/format";

export function EnrollmentInstructions({
  token,
  expiresAt,
  command,
}: {
  token: string;
  expiresAt: Date | string;
  command: string;
}) {
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600">
        On the customer’s host, with the Mailwarden agent installed, run this as root. The token works once
        and expires <strong>{formatDateTime(expiresAt)}</strong>; it is not shown again.
      </p>
      <CopyBlock label="install-command" value={command} />
      <CopyBlock label="enrollment-token" value={token} />
      <p className="text-xs text-slate-500">The server turns Online here as soon as the agent connects.</p>
    </div>
  );
}
