// A server's mail-log gaps: when its agent's spool overflowed (or could not be written) and records were
// dropped, the server page says so plainly — "log records missing between t1 and t2" — so nobody takes
// the log for complete where it is not. Nothing shows while there is no gap.
"use client";
import { useQuery } from "@tanstack/react-query";
import { Alert } from "~/components/ui/alert";
import { formatDateTime } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";

const reasons = {
  "spool-full": "its log spool was full (the agent could not reach the console for long)",
  "write-failed": "it could not write its log spool (disk full or failing)",
} as const;

export function LogGapsAlert({ serverId }: { serverId: string }) {
  const trpc = useTRPC();
  const gaps = useQuery(trpc.mailLog.serverGaps.queryOptions({ serverId }));
  if (!gaps.data?.length) return null;
  return (
    <Alert tone="warning" data-testid="log-gaps">
      <p className="font-medium">The mail log of this server is incomplete.</p>
      <ul className="mt-1 list-disc space-y-0.5 pl-5">
        {gaps.data.map((gap) => (
          <li key={gap.key}>
            {gap.from
              ? `Log records missing between ${formatDateTime(gap.from)} and ${formatDateTime(gap.to)}`
              : `Log records missing before ${formatDateTime(gap.to)}`}
            : {gap.lost} record{gap.lost === 1 ? "" : "s"} dropped because {reasons[gap.reason]}.
          </li>
        ))}
      </ul>
    </Alert>
  );
}
