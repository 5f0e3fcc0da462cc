// The DKIM record to publish for a domain: the agents generate the key and report its public
// half, so until one of the customer's servers has connected there is nothing to publish yet.
"use client";
import { useQuery } from "@tanstack/react-query";
import { CopyBlock } from "../copy-block";
import { Alert } from "../ui/alert";
import { Card, CardHeader, EmptyState } from "../ui/card";
import { errorMessage, useTRPC } from "~/lib/trpc";

export function DkimRecordCard({ domainId, domainName }: { domainId: string; domainName: string }) {
  const trpc = useTRPC();
  // Until a server has reported the key, look again every few seconds: it appears without a reload.
  const record = useQuery({
    ...trpc.domain.dkimRecord.queryOptions({ domainId }),
    refetchInterval: (query) => (query.state.data ? false : 5000),
  });
  return (
    <Card>
      <CardHeader
        title="DKIM record"
        description={`Publish it in the DNS zone of ${domainName} so receivers can verify the mail it sends.`}
      />
      {record.error ? (
        <Alert tone="error" className="m-4">
          {errorMessage(record.error)}
        </Alert>
      ) : record.isPending ? (
        <p className="px-5 py-4 text-sm text-slate-500">Loading…</p>
      ) : !record.data ? (
        <EmptyState title="No key yet">
          A server must connect first: the agent generates the signing key and reports its public half here.
          This card updates by itself.
        </EmptyState>
      ) : (
        <div className="space-y-3 px-5 py-4">
          <CopyBlock label="Name" testId="dkim-record-name" value={record.data.name} />
          <CopyBlock label="Type" testId="dkim-record-type" value={record.data.type} />
          <CopyBlock
            label="Value"
            hint="Some DNS providers want a long TXT value split into quoted strings of up to 255 characters."
            testId="dkim-record-value"
            value={record.data.value}
          />
        </div>
      )}
    </Card>
  );
}
