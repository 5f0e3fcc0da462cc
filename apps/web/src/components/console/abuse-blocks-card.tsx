// The server page's blocks card: the blocks abuse detection has in force on this server — addresses refused or
// delayed at connect, users whose sending is suspended — with who, which rule, why, since and until, read
// live from the agent like the mail queue (./queue-card.tsx). Provider staff can lift a block; a lifted
// suspension releases the user's held mail.
"use client";
import * as React from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { abuseRuleLabels } from "@mailwarden/protocol";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader, EmptyState } from "../ui/card";
import { useConfirm } from "../ui/confirm-dialog";
import { Table, Td, Th } from "../ui/table";
import { formatDateTime } from "~/lib/format";
import { errorMessage, useTRPC, type RouterOutputs } from "~/lib/trpc";
import { describeNoAnswer, readOnDemand, useRereadOnStatusChange, type Notice } from "./agent-card";

type LiftOutcome = RouterOutputs["server"]["liftAbuseBlock"];
type Block = Extract<RouterOutputs["server"]["abuseBlocks"], { status: "ok" }>["blocks"][number];

const actionBadge = {
  block: <Badge tone="red">blocked</Badge>,
  delay: <Badge tone="amber">delayed</Badge>,
  suspend: <Badge tone="red">sending suspended</Badge>,
} as const;

function describeOutcome(outcome: LiftOutcome): Notice {
  if (outcome.status !== "ok") {
    return describeNoAnswer(outcome, { nothingDone: "nothing was lifted", mayStillDo: "lift the block" });
  }
  return outcome.result.done.length > 0
    ? { tone: "success", text: "Block lifted." }
    : { tone: "warning", text: "That block had already ended or been lifted." };
}

export function AbuseBlocksCard({
  serverId,
  serverStatus,
  canManage,
}: {
  serverId: string;
  serverStatus: string;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  // Each read asks the agent: no polling; Refresh and a lift re-read.
  const blocks = useQuery({ ...trpc.server.abuseBlocks.queryOptions({ serverId }), ...readOnDemand });
  const [notice, setNotice] = React.useState<Notice | null>(null);
  const lift = useMutation(
    trpc.server.liftAbuseBlock.mutationOptions({
      onMutate: () => setNotice(null),
      onSuccess: (outcome) => {
        setNotice(describeOutcome(outcome));
        void blocks.refetch();
      },
    }),
  );
  useRereadOnStatusChange(blocks.refetch, serverStatus);
  const confirm = useConfirm();

  const confirmLift = async (block: Block) => {
    const isConfirmed = await confirm(
      block.kind === "user"
        ? {
            title: `Let ${block.subject} send again?`,
            description: "Their sending is no longer suspended, and their held mail is delivered at once.",
            confirmLabel: "Lift the block",
          }
        : {
            title: `Let ${block.subject} connect again?`,
            description:
              "The address may connect to this server again now; abuse detection keeps watching it.",
            confirmLabel: "Lift the block",
          },
    );
    if (isConfirmed) lift.mutate({ serverId, blockId: block.id });
  };

  const data = blocks.data;
  return (
    <Card data-testid="abuse-blocks-card">
      <CardHeader
        title="Blocks"
        description="Addresses and users abuse detection has stopped on this server, read live from its agent."
        action={
          <Button
            variant="secondary"
            size="sm"
            busy={blocks.isFetching}
            onClick={() => void blocks.refetch()}
          >
            Refresh
          </Button>
        }
      />
      {notice && (
        <Alert tone={notice.tone} className="mx-5 mt-4">
          {notice.text}
        </Alert>
      )}
      {lift.error && (
        <Alert tone="error" className="mx-5 mt-4">
          {errorMessage(lift.error)}
        </Alert>
      )}
      {blocks.error ? (
        <Alert tone="error" className="m-5">
          {errorMessage(blocks.error)}
        </Alert>
      ) : !data ? (
        <p className="px-5 py-6 text-sm text-slate-500">Asking the agent for its blocks…</p>
      ) : data.status === "offline" ? (
        <EmptyState title="Agent offline">
          The blocks live on the server itself. They can be shown, and lifted, once the agent is connected
          again.
        </EmptyState>
      ) : data.status === "timeout" ? (
        <Alert tone="warning" className="m-5">
          The agent did not answer in time. It may be busy or its connection may have just dropped: try
          Refresh.
        </Alert>
      ) : data.status === "failed" ? (
        <Alert tone="error" className="m-5">
          The agent could not list its blocks: {data.error}
        </Alert>
      ) : data.blocks.length === 0 ? (
        <EmptyState title="Nothing is blocked">
          <span data-testid="abuse-blocks-empty">
            Denial of service, address harvesting, password guessing and internal spammers are watched for;
            what they trip shows here.
          </span>
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Who</Th>
              <Th>Rule</Th>
              <Th>Why</Th>
              <Th>Since</Th>
              <Th>Until</Th>
              {canManage && <Th className="text-right">Actions</Th>}
            </tr>
          </thead>
          <tbody>
            {data.blocks.map((block) => (
              <tr key={block.id} data-testid="abuse-block">
                <Td>
                  <div className="break-all font-mono text-xs">{block.subject}</div>
                  <div className="mt-0.5">{actionBadge[block.action]}</div>
                </Td>
                <Td>{abuseRuleLabels[block.rule] ?? block.rule}</Td>
                <Td>{block.reason}</Td>
                <Td>{formatDateTime(block.since)}</Td>
                <Td>{block.until === null ? "until lifted" : formatDateTime(block.until)}</Td>
                {canManage && (
                  <Td className="text-right">
                    <Button
                      size="sm"
                      variant="secondary"
                      disabled={lift.isPending}
                      busy={lift.isPending && lift.variables?.blockId === block.id}
                      onClick={() => void confirmLift(block)}
                    >
                      Lift
                    </Button>
                  </Td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
