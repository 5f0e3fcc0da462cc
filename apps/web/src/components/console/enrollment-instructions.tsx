// What to run on the new host, with the one-time token and when it expires: the install one-liner for a
// fresh host first, the enroll command for a host that already has the agent second.
"use client";
import { CopyBlock } from "../copy-block";
import { PublicUrlWarning } from "./public-url-warning";
import { formatDateTime } from "~/lib/format";

export function EnrollmentInstructions({
  token,
  expiresAt,
  command,
  installCommand,
}: {
  token: string;
  expiresAt: Date | string;
  /** `mailwarden-agent enroll … && mailwarden-agent run`, for a host that has the agent. */
  command: string;
  /** `curl … /install.sh | sh -s -- --token …`, for a fresh host. */
  installCommand: string;
}) {
  return (
    <div className="space-y-3">
      <PublicUrlWarning />
      <p className="text-sm text-slate-600">
        The token works once and expires <strong>{formatDateTime(expiresAt)}</strong>; it is not shown again.
      </p>
      <CopyBlock
        label="On a fresh Debian/Ubuntu host, as root"
        hint="Installs the agent (needs Node.js 20 or newer), enrolls it and starts it as a systemd service."
        testId="one-line-install"
        value={installCommand}
      />
      <CopyBlock label="If the agent is already installed" testId="install-command" value={command} />
      <CopyBlock label="Enrollment token" testId="enrollment-token" value={token} />
      <p className="text-xs text-slate-500">The server turns Online here as soon as the agent connects.</p>
    </div>
  );
}
