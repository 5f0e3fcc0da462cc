// A server's mail queue, read live from its agent: how much is waiting and since when, each message's
// recipients with their attempts, next attempt and last error, and the provider's actions on it (retry
// now, bounce, delete, reset retry counts). Every read and action is a round trip to the agent through
// the hub, so it can be slow, offline or unanswered — each of those is said plainly.
"use client";
import * as React from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader, EmptyState } from "../ui/card";
import { Table, Td, Th } from "../ui/table";
import { useConfirm } from "../ui/confirm-dialog";
import { formatDateTime, timeAgo } from "~/lib/format";
import { errorMessage, useTRPC, type RouterOutputs } from "~/lib/trpc";
import { describeNoAnswer, readOnDemand, useRereadOnStatusChange, type Notice } from "./agent-card";

type QueueOutcome = RouterOutputs["server"]["queueAction"];
type Listing = Extract<RouterOutputs["server"]["queue"], { status: "ok" }>;
type Entry = Listing["entries"][number];
type Action = "retry" | "resetRetries" | "delete" | "bounce";

const stateBadge = {
  pending: <Badge tone="amber">waiting</Badge>,
  delivered: <Badge tone="green">delivered</Badge>,
  failed: <Badge tone="red">failed</Badge>,
} as const;

const doneWords: Record<Action, string> = {
  retry: "Retry requested for",
  resetRetries: "Retry counts reset for",
  delete: "Deleted",
  bounce: "Bounced",
};

function formatSize(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** What to tell the user after an action came back. */
function describeOutcome(outcome: QueueOutcome): Notice {
  if (outcome.status !== "ok") {
    return describeNoAnswer(outcome, { nothingDone: "nothing was done", mayStillDo: "carry the action out" });
  }
  const words = doneWords[outcome.action];
  if ("count" in outcome.result)
    return { tone: "success", text: `${words} ${plural(outcome.result.count, "message")}.` };
  const { done, missing } = outcome.result;
  const gone = missing.length > 0 ? ` ${plural(missing.length, "message")} had already left the queue.` : "";
  return {
    tone: done.length > 0 ? "success" : "warning",
    text: `${words} ${plural(done.length, "message")}.${gone}`,
  };
}

export function QueueCard({
  serverId,
  serverStatus,
  canManage,
}: {
  serverId: string;
  serverStatus: string;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  // Each read asks the agent: no polling, no refetch on focus; the refresh button and actions re-read.
  const queue = useQuery({ ...trpc.server.queue.queryOptions({ serverId }), ...readOnDemand });
  const [notice, setNotice] = React.useState<Notice | null>(null);
  const act = useMutation(
    trpc.server.queueAction.mutationOptions({
      onMutate: () => setNotice(null),
      onSuccess: (outcome) => {
        setNotice(describeOutcome(outcome));
        void queue.refetch();
      },
    }),
  );
  useRereadOnStatusChange(queue.refetch, serverStatus);

  const run = (action: Action, ids: string[] = []) => act.mutate({ serverId, action, ids });
  const isBusy = (action: Action, id?: string) =>
    act.isPending &&
    act.variables?.action === action &&
    (id === undefined || act.variables.ids?.includes(id) === true);

  const data = queue.data;
  const hasEntries = data?.status === "ok" && data.entries.length > 0;

  return (
    <Card data-testid="queue-card">
      <CardHeader
        title="Mail queue"
        description="Messages this server has accepted and not yet delivered, read live from its agent."
        action={
          <div className="flex gap-2">
            {canManage && (
              <Button
                variant="secondary"
                size="sm"
                disabled={!hasEntries || act.isPending}
                busy={isBusy("resetRetries")}
                onClick={() => run("resetRetries")}
              >
                Reset retry counts
              </Button>
            )}
            <Button
              variant="secondary"
              size="sm"
              busy={queue.isFetching}
              onClick={() => void queue.refetch()}
            >
              Refresh
            </Button>
          </div>
        }
      />
      {notice && (
        <Alert tone={notice.tone} className="mx-5 mt-4">
          {notice.text}
        </Alert>
      )}
      {act.error && (
        <Alert tone="error" className="mx-5 mt-4">
          {errorMessage(act.error)}
        </Alert>
      )}
      {queue.error ? (
        <Alert tone="error" className="m-5">
          {errorMessage(queue.error)}
        </Alert>
      ) : !data ? (
        <p className="px-5 py-6 text-sm text-slate-500" data-testid="queue-loading">
          Asking the agent for its queue…
        </p>
      ) : data.status === "offline" ? (
        <EmptyState title="Agent offline">
          <span data-testid="queue-offline">
            The queue lives on the server itself. It can be shown, and acted on, once the agent is connected
            again.
          </span>
        </EmptyState>
      ) : data.status === "timeout" ? (
        <Alert tone="warning" className="m-5">
          The agent did not answer in time. It may be busy or its connection may have just dropped: try
          Refresh.
        </Alert>
      ) : data.status === "failed" ? (
        <Alert tone="error" className="m-5">
          The agent could not list its queue: {data.error}
        </Alert>
      ) : data.size === 0 ? (
        <EmptyState title="The queue is empty: all mail has been delivered" />
      ) : (
        <QueueTable listing={data} canManage={canManage} isBusy={isBusy} disabled={act.isPending} run={run} />
      )}
    </Card>
  );
}

function QueueTable({
  listing,
  canManage,
  isBusy,
  disabled,
  run,
}: {
  listing: Listing;
  canManage: boolean;
  isBusy: (action: Action, id: string) => boolean;
  disabled: boolean;
  run: (action: Action, ids: string[]) => void;
}) {
  const confirm = useConfirm();
  const confirmThen = async (action: "delete" | "bounce", entry: Entry) => {
    const sender = entry.from || "a bounce (null sender)";
    const isConfirmed = await confirm(
      action === "delete"
        ? {
            title: "Delete this message?",
            description: `The message from ${sender} is dropped: neither delivered nor returned to the sender.`,
            confirmLabel: "Delete message",
            tone: "danger",
          }
        : {
            title: "Bounce this message?",
            description: `The message from ${sender} fails now for its waiting recipients, and the sender is told if the policy allows.`,
            confirmLabel: "Bounce message",
            tone: "danger",
          },
    );
    if (isConfirmed) run(action, [entry.id]);
  };
  return (
    <div className="space-y-4 py-4">
      <dl className="grid grid-cols-2 gap-4 px-5 md:grid-cols-4">
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Messages</dt>
          <dd className="mt-0.5 text-sm text-slate-900" data-testid="queue-size">
            {listing.size}
          </dd>
        </div>
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Oldest message</dt>
          <dd className="mt-0.5 text-sm text-slate-900">
            {formatDateTime(listing.oldestAt)} ({timeAgo(listing.oldestAt)})
          </dd>
        </div>
        {listing.entries.length < listing.size && (
          <div className="col-span-2 text-sm text-slate-500">
            Showing the oldest {listing.entries.length} of {listing.size}.
          </div>
        )}
      </dl>
      <Table>
        <thead>
          <tr>
            <Th>Message</Th>
            <Th>Recipient</Th>
            <Th>Attempts</Th>
            <Th>Next attempt</Th>
            <Th>Last error</Th>
            {canManage && <Th className="text-right">Actions</Th>}
          </tr>
        </thead>
        <tbody>
          {listing.entries.map((entry) => {
            const hidden = entry.recipientCount - entry.recipients.length;
            const rows = Math.max(1, entry.recipients.length + (hidden > 0 ? 1 : 0));
            const messageCell = (
              <Td rowSpan={rows} className="max-w-56">
                <div className="font-mono text-xs text-slate-500">{entry.id}</div>
                <div className="break-all">{entry.from || <em className="text-slate-500">bounce</em>}</div>
                {entry.held && (
                  <div title="The sender's sending is suspended by abuse detection; lift it in Blocks.">
                    <Badge tone="red">held: sending suspended</Badge>
                  </div>
                )}
                <div className="text-xs text-slate-500">
                  {formatDateTime(entry.receivedAt)} {formatSize(entry.size)}
                </div>
              </Td>
            );
            const actionsCell = canManage && (
              <Td rowSpan={rows} className="text-right">
                <div className="flex justify-end gap-1.5">
                  <Button
                    size="sm"
                    variant="secondary"
                    disabled={disabled}
                    busy={isBusy("retry", entry.id)}
                    onClick={() => run("retry", [entry.id])}
                  >
                    Retry
                  </Button>
                  <Button
                    size="sm"
                    variant="secondary"
                    disabled={disabled}
                    busy={isBusy("bounce", entry.id)}
                    onClick={() => void confirmThen("bounce", entry)}
                  >
                    Bounce
                  </Button>
                  <Button
                    size="sm"
                    variant="danger"
                    disabled={disabled}
                    busy={isBusy("delete", entry.id)}
                    onClick={() => void confirmThen("delete", entry)}
                  >
                    Delete
                  </Button>
                </div>
              </Td>
            );
            return (
              <React.Fragment key={entry.id}>
                {entry.recipients.map((recipient, index) => (
                  <tr key={`${entry.id}-${index}`} data-testid="queue-recipient">
                    {index === 0 && messageCell}
                    <Td className="break-all">
                      {recipient.address} {stateBadge[recipient.state]}
                    </Td>
                    <Td>{recipient.attempts}</Td>
                    <Td className="whitespace-nowrap">
                      {recipient.nextAttemptAt ? formatDateTime(recipient.nextAttemptAt) : "—"}
                    </Td>
                    <Td className="max-w-80 break-words text-slate-600">{recipient.lastError ?? "—"}</Td>
                    {index === 0 && actionsCell}
                  </tr>
                ))}
                {hidden > 0 && (
                  <tr>
                    {entry.recipients.length === 0 && messageCell}
                    <Td colSpan={4} className="text-slate-500">
                      … and {plural(hidden, "more recipient")}
                    </Td>
                    {entry.recipients.length === 0 && actionsCell}
                  </tr>
                )}
              </React.Fragment>
            );
          })}
        </tbody>
      </Table>
    </div>
  );
}
