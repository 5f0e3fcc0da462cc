// Overview: what needs attention first — servers offline (by name), suspended senders, paused list
// members, whether the servers run the configuration the console wants, counts, the latest changes.
"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardHeader, EmptyState, PageHeader } from "~/components/ui/card";
import { displayAddress, displayDomainsIn, formatDateTime, timeAgo } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";

function Stat({
  label,
  value,
  href,
  tone,
}: {
  label: string;
  value: number | string;
  href: string;
  tone?: string;
}) {
  return (
    <Link
      href={href}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm hover:border-brand-500"
    >
      <div className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</div>
      <div className={`mt-1 text-2xl font-semibold ${tone ?? "text-slate-900"}`}>{value}</div>
    </Link>
  );
}

export default function OverviewPage() {
  const trpc = useTRPC();
  const overview = useQuery({ ...trpc.overview.get.queryOptions(), refetchInterval: 10_000 });
  const me = useQuery(trpc.auth.me.queryOptions());
  const o = overview.data;
  return (
    <>
      <PageHeader
        title={`Welcome${me.data ? `, ${me.data.name.split(" ")[0]}` : ""}`}
        description="Your mail servers at a glance."
      />
      {!o ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : (
        <div className="space-y-6">
          {o.servers.offline > 0 && (
            <Alert tone="error" data-testid="offline-servers">
              <p className="font-medium">
                {o.servers.offline === 1 ? "1 server is offline" : `${o.servers.offline} servers are offline`}
                : they receive no configuration and report nothing until their agent connects again.
              </p>
              <ul className="mt-2 space-y-1">
                {o.servers.offlineNamed.map((server) => (
                  <li key={server.id}>
                    <Link className="font-medium underline" href={`/servers/${server.id}`}>
                      {server.name}
                    </Link>{" "}
                    ({server.customer}) — last seen {timeAgo(server.lastSeenAt)}
                  </li>
                ))}
              </ul>
              {o.servers.offline > o.servers.offlineNamed.length && (
                <p className="mt-2">
                  …and {o.servers.offline - o.servers.offlineNamed.length} more on the{" "}
                  <Link className="font-medium underline" href="/servers">
                    Servers
                  </Link>{" "}
                  page.
                </p>
              )}
            </Alert>
          )}
          {o.suspendedSenders.length > 0 && (
            // Row 21: the internal-spammer rule's alert, for the admins of the user's domain.
            <Alert tone="error" data-testid="suspended-senders">
              <p className="font-medium">
                Sending suspended: abuse detection stopped{" "}
                {o.suspendedSenders.length === 1 ? "a user" : "users"} sending too much mail. Their queued
                mail is held until an administrator lifts the suspension.
              </p>
              <ul className="mt-2 space-y-1">
                {o.suspendedSenders.map((sender) => (
                  <li key={`${sender.server?.id ?? ""}${sender.address}`}>
                    <span className="font-mono">{displayAddress(sender.address)}</span> — {sender.reason},
                    since {formatDateTime(sender.since)}
                    {sender.server && (
                      <>
                        {" "}
                        on{" "}
                        <Link
                          className="font-medium underline"
                          href={`/servers/${sender.server.id}?tab=blocks`}
                        >
                          {sender.server.name}
                        </Link>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            </Alert>
          )}
          {o.pausedListMembers.total > 0 && (
            // Row 22: list members the agents stopped sending copies to; the list's domain page resumes them.
            <Alert tone="warning" data-testid="paused-list-members">
              <p className="font-medium">
                {o.pausedListMembers.total === 1
                  ? "1 mailing-list member is paused after bounces"
                  : `${o.pausedListMembers.total} mailing-list members are paused after bounces`}
                . The list's copies skip {o.pausedListMembers.total === 1 ? "it" : "them"} until an
                administrator chooses Resume delivery on the list's domain page.
              </p>
              <ul className="mt-2 space-y-1">
                {o.pausedListMembers.members.map((paused) => (
                  <li key={`${paused.list} ${paused.member}`}>
                    <span className="font-mono">{displayAddress(paused.member)}</span> on{" "}
                    <Link
                      className="font-medium underline"
                      href={`/domains/${paused.domainId}?tab=addresses`}
                    >
                      {displayAddress(paused.list)}
                    </Link>
                    , since {formatDateTime(paused.pausedAt)} — last bounce {paused.lastStatus}:{" "}
                    {paused.lastDiagnostic}
                  </li>
                ))}
              </ul>
              {o.pausedListMembers.total > o.pausedListMembers.members.length && (
                <p className="mt-2">
                  …and {o.pausedListMembers.total - o.pausedListMembers.members.length} more, on their lists'
                  domain pages.
                </p>
              )}
            </Alert>
          )}
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
            {me.data?.providerRole && <Stat label="Customers" value={o.customers} href="/customers" />}
            <Stat label="Domains" value={o.domains} href="/domains" />
            <Stat label="Mailboxes" value={o.mailboxes} href="/domains" />
            <Stat
              label="Servers online"
              value={`${o.servers.online} / ${o.servers.total}`}
              href="/servers"
              tone={
                o.servers.offline > 0
                  ? "text-red-600"
                  : o.servers.online < o.servers.total
                    ? "text-amber-600"
                    : "text-emerald-700"
              }
            />
          </div>
          {o.servers.online + o.servers.offline > 0 && (
            <Card
              className="flex flex-wrap items-center gap-x-3 gap-y-2 p-4"
              data-testid="configuration-state"
            >
              <span className="text-sm font-medium text-slate-700">Configuration</span>
              {o.servers.configuration.rejected.length > 0 ? (
                <ul className="space-y-1 text-sm">
                  {o.servers.configuration.rejected.map((server) => (
                    <li key={server.id}>
                      <Badge tone="red">Rejected</Badge>{" "}
                      <Link
                        className="font-medium text-brand-600 hover:underline"
                        href={`/servers/${server.id}`}
                      >
                        {server.name}
                      </Link>
                      : {server.reason}
                    </li>
                  ))}
                </ul>
              ) : o.servers.configuration.applying > 0 ? (
                <Badge tone="amber">
                  Applying… ({o.servers.configuration.applying} of {o.servers.online + o.servers.offline}{" "}
                  servers)
                </Badge>
              ) : (
                <Badge tone="green">Applied on all servers</Badge>
              )}
            </Card>
          )}
          {o.servers.total === 0 && me.data?.providerRole === "PROVIDER_ADMIN" && (
            <Card>
              <EmptyState
                title="No servers yet"
                action={
                  <Link className="text-sm font-medium text-brand-600 hover:underline" href="/servers">
                    Add your first server →
                  </Link>
                }
              >
                Create a customer and a domain, then add a server: you get a one-line command that enrolls the
                agent on the host.
              </EmptyState>
            </Card>
          )}
          {o.recentEvents.length > 0 && (
            <Card>
              <CardHeader
                title="Latest changes"
                action={
                  <Link className="text-sm text-brand-600 hover:underline" href="/audit">
                    Audit log →
                  </Link>
                }
              />
              <ul className="divide-y divide-slate-100">
                {o.recentEvents.map((e) => (
                  <li key={e.id} className="flex flex-wrap justify-between gap-2 px-5 py-3 text-sm">
                    <span className="text-slate-800">{displayDomainsIn(e.summary)}</span>
                    <span className="text-slate-500">
                      {e.actorLabel} · {formatDateTime(e.at)}
                    </span>
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      )}
    </>
  );
}
