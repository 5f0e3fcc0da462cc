// What to run on the new host, with the one-time token and when it expires: the install one-liner for a
// fresh host first, the enroll command for a host that already has the agent second.
"use client";
import { CopyBlock } from "../copy-block";
import { formatDateTime } from "~/lib/format";

/**
 * The install one-liner (as servers.ts `enrollCommands().install` builds it) for callers that only pass
 * the enroll command: the console's address is the hub URL's origin over http(s).
 */
function installCommandFrom(enrollCommand: string, token: string): string | null {
  const hubUrl = /--url (\S+)/.exec(enrollCommand)?.[1];
  if (!hubUrl) return null;
  try {
    const url = new URL(hubUrl);
    url.protocol = url.protocol === "wss:" ? "https:" : "http:";
    return `curl -fsSL ${url.origin}/install.sh | sh -s -- --token ${token}`;
  } catch {
    return null;
  }
}

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
  installCommand?: string;
}) {
  const install = installCommand ?? installCommandFrom(command, token);
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600">
        The token works once and expires <strong>{formatDateTime(expiresAt)}</strong>; it is not shown again.
      </p>
      {install && (
        <>
          <p className="text-sm font-medium text-slate-700">On a fresh Debian/Ubuntu host, as root</p>
          <p className="text-xs text-slate-500">
            Installs the agent (needs Node.js 20 or newer), enrolls it and starts it as a systemd service.
          </p>
          <CopyBlock label="one-line-install" value={install} />
        </>
      )}
      <p className="text-sm font-medium text-slate-700">If the agent is already installed</p>
      <CopyBlock label="install-command" value={command} />
      <CopyBlock label="enrollment-token" value={token} />
      <p className="text-xs text-slate-500">The server turns Online here as soon as the agent connects.</p>
    </div>
  );
}
