// The account page's list of the user's signed-in browsers (device, address, last activity), each
// ending on a click, and "Sign out everywhere else" for a lost laptop or phone.
"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader } from "~/components/ui/card";
import { useConfirm } from "~/components/ui/confirm-dialog";
import { Table, Td, Th } from "~/components/ui/table";
import { formatDateTime, timeAgo } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";

export function SessionsCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const confirm = useConfirm();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const end = useMutation(
    trpc.auth.endSessions.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.auth.sessions.queryKey() }),
    }),
  );
  const others = sessions.data?.filter((s) => !s.isCurrent).length ?? 0;
  return (
    <Card>
      <CardHeader
        title="Where you're signed in"
        description="Sign out a device you don't recognise or no longer have."
        action={
          others > 0 ? (
            <Button
              variant="secondary"
              size="sm"
              onClick={() =>
                void confirm({
                  title: "Sign out everywhere else?",
                  description: `${others} other ${others === 1 ? "session ends" : "sessions end"} now. This browser stays signed in.`,
                  confirmLabel: "Sign out everywhere else",
                  onConfirm: () => end.mutateAsync({}),
                })
              }
            >
              Sign out everywhere else
            </Button>
          ) : null
        }
      />
      {sessions.data && (
        <Table>
          <thead>
            <tr>
              <Th>Device</Th>
              <Th>Address</Th>
              <Th>Signed in</Th>
              <Th>Last active</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((s) => (
              <tr key={s.id} data-testid="session-row">
                <Td className="whitespace-nowrap font-medium text-slate-900">
                  {s.device} {s.isCurrent && <Badge tone="green">This browser</Badge>}
                </Td>
                <Td className="font-mono text-xs">{s.ip ?? "—"}</Td>
                <Td className="whitespace-nowrap">{formatDateTime(s.signedInAt)}</Td>
                <Td className="whitespace-nowrap">{s.isCurrent ? "now" : timeAgo(s.lastSeenAt)}</Td>
                <Td className="text-right">
                  {!s.isCurrent && (
                    <Button
                      size="sm"
                      variant="ghost"
                      busy={end.isPending && end.variables?.sessionId === s.id}
                      onClick={() => end.mutate({ sessionId: s.id })}
                    >
                      Sign out
                    </Button>
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
