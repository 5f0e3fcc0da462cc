// A server's connection state and whether it runs the policy the dashboard wants.
import { Badge } from "../ui/badge";

export function ServerStatusBadge({ status }: { status: string }) {
  switch (status) {
    case "ONLINE":
      return (
        <Badge tone="green">
          <span className="size-1.5 rounded-full bg-emerald-500" />
          Online
        </Badge>
      );
    case "OFFLINE":
      return (
        <Badge tone="red">
          <span className="size-1.5 rounded-full bg-red-500" />
          Offline
        </Badge>
      );
    case "REVOKED":
      return <Badge>Revoked</Badge>;
    default:
      return <Badge tone="amber">Waiting for enrollment</Badge>;
  }
}

/**
 * Whether the server runs the configuration the console wants, in words: revision numbers are the
 * console's bookkeeping, not something an admin acts on.
 */
export function PolicySyncBadge({
  desired,
  applied,
  rejectedRevision,
  rejectReason,
}: {
  desired: number;
  applied: number | null;
  rejectedRevision: number | null;
  rejectReason: string | null;
}) {
  if (applied === desired) return <Badge tone="green">Applied</Badge>;
  if (rejectReason && rejectedRevision === desired)
    return (
      <Badge tone="red" title={rejectReason} className="max-w-full whitespace-normal">
        Rejected: {rejectReason}
      </Badge>
    );
  return <Badge tone="amber">Applying…</Badge>;
}

/** The agent refused the configuration the console wants now (not an older one since replaced). */
export function isRejectingLatest(server: {
  desiredRevision: number;
  lastRejectedRevision: number | null;
  lastRejectReason: string | null;
}): boolean {
  return server.lastRejectReason !== null && server.lastRejectedRevision === server.desiredRevision;
}
