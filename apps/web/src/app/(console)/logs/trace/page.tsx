// One message's journey as a timeline: every record of it on every server (a backup MX or gateway that
// forwarded it included), from the session that handed it over to its deliveries, bounces and notices —
// the answer to "where did this message go, and why". Reached from any log row or a Message-ID search.
"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { LogTime, OutcomeBadge, RuleLink } from "~/components/console/mail-log-records";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardHeader, EmptyState, PageHeader } from "~/components/ui/card";
import { displayDomain } from "~/lib/format";
import { describeRecord } from "~/lib/mail-log-words";
import { errorMessage, useTRPC } from "~/lib/trpc";
import { cn } from "~/lib/cn";

export default function TracePage() {
  return (
    <React.Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
      <Trace />
    </React.Suspense>
  );
}

const dotTone: Record<string, string> = {
  delivered: "bg-emerald-500",
  accepted: "bg-brand-500",
  rejected: "bg-red-500",
  bounced: "bg-red-500",
  deferred: "bg-amber-500",
};

function Trace() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const input = {
    messageId: params.get("messageId") ?? undefined,
    queueId: params.get("queueId") ?? undefined,
    serverId: params.get("serverId") ?? undefined,
  };
  const trace = useQuery({
    ...trpc.mailLog.trace.queryOptions(input),
    enabled: Boolean(input.messageId || input.queueId),
    retry: false,
  });
  const me = useQuery(trpc.auth.me.queryOptions());
  const canOpenServers =
    Boolean(me.data?.providerRole) || (me.data?.memberships.some((m) => m.role !== "DOMAIN_ADMIN") ?? false);
  const asked = input.messageId ?? input.queueId ?? "";

  const back = (
    <Link href="/logs" className="hover:underline">
      ← Logs
    </Link>
  );
  if (!input.messageId && !input.queueId)
    return (
      <>
        <PageHeader title="Message trace" description={back} />
        <Card>
          <EmptyState title="Which message?">
            Open a trace from a record on the Logs page, or search there by Message-ID or queue id.
          </EmptyState>
        </Card>
      </>
    );
  return (
    <>
      <PageHeader
        title="Message trace"
        description={
          <>
            {back} · <span className="break-all">{asked}</span>
          </>
        }
      />
      {trace.error ? (
        trace.error.data?.code === "NOT_FOUND" ? (
          <Card>
            <EmptyState title="No records of this message">
              Check the Message-ID or queue id. Records older than the provider&apos;s retention period are
              deleted, and you only see messages of domains and servers you manage.
            </EmptyState>
          </Card>
        ) : (
          <Alert tone="error">{errorMessage(trace.error)}</Alert>
        )
      ) : !trace.data ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : (
        <div className="space-y-6">
          <Card className="p-5">
            <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
              <Fact label="Message-ID" className="sm:col-span-2">
                <span className="break-all">{trace.data.messageId ?? "—"}</span>
              </Fact>
              <Fact label="Sender">{trace.data.sender ?? "—"}</Fact>
              <Fact label="Servers">{trace.data.servers.join(", ")}</Fact>
              <Fact label="Queue IDs">
                <span className="break-all">{trace.data.queueIds.join(", ") || "—"}</span>
              </Fact>
            </dl>
          </Card>
          <Card>
            <CardHeader
              title="Timeline"
              description="Oldest first. Each step names the server that took it."
            />
            <ol className="relative px-4 py-4 md:px-6" data-testid="trace-timeline">
              {trace.data.items.map((item, index) => (
                <li key={item.key} className="relative flex gap-3 pb-5 last:pb-0" data-testid="trace-step">
                  {index < trace.data.items.length - 1 && (
                    <span className="absolute left-[5px] top-4 h-full w-px bg-slate-200" aria-hidden />
                  )}
                  <span
                    className={cn(
                      "relative mt-1.5 size-3 shrink-0 rounded-full ring-4 ring-white",
                      dotTone[item.outcome ?? ""] ?? "bg-slate-300",
                    )}
                    aria-hidden
                  />
                  <div className="min-w-0 flex-1 space-y-1 text-sm">
                    <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
                      <LogTime at={item.at} />
                      <Badge>{item.serverName}</Badge>
                      {item.domainName && <span>{displayDomain(item.domainName)}</span>}
                      <OutcomeBadge outcome={item.outcome} />
                    </div>
                    <p className="break-words text-slate-900">{describeRecord(item.record)}</p>
                    {"reply" in item.record && item.record.reply && item.outcome !== "delivered" && (
                      <p className="break-words font-mono text-xs text-slate-500">{item.record.reply}</p>
                    )}
                    <RuleLink item={item} canOpenServers={canOpenServers} />
                  </div>
                </li>
              ))}
            </ol>
          </Card>
        </div>
      )}
    </>
  );
}

function Fact({
  label,
  className,
  children,
}: {
  label: string;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <div className={cn("min-w-0", className)}>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm text-slate-900">{children}</dd>
    </div>
  );
}
