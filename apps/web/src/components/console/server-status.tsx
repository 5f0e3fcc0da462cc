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

export function PolicySyncBadge({
  desired,
  applied,
  rejected,
}: {
  desired: number;
  applied: number | null;
  rejected?: string | null;
}) {
  if (applied === desired) return <Badge tone="green">Applied r{applied}</Badge>;
  if (rejected)
    return (
      <Badge tone="red" title={rejected}>
        Rejected — r{applied ?? "–"} of r{desired}
      </Badge>
    );
  return (
    <Badge tone="amber">
      Pending r{desired} (applied r{applied ?? "–"})
    </Badge>
  );
}
