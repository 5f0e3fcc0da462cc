// A domain's recent mail from the mail log: its last refusals (with the rule and the setting behind each)
// and its last deliveries, so "why was this rejected?" is answered on the domain's own page.
"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { Alert } from "~/components/ui/alert";
import { Card, CardHeader, EmptyState } from "~/components/ui/card";
import { errorMessage, useTRPC } from "~/lib/trpc";
import { MailLogList } from "./mail-log-records";

export function RecentMailCard({ domainId, canOpenServers }: { domainId: string; canOpenServers: boolean }) {
  const trpc = useTRPC();
  const recent = useQuery(trpc.mailLog.domainRecent.queryOptions({ domainId }));
  const link = (query: string, label: string) => (
    <Link
      href={`/logs?domainId=${domainId}${query}`}
      className="text-sm font-medium text-brand-700 hover:underline"
    >
      {label}
    </Link>
  );
  if (recent.error) return <Alert tone="error">{errorMessage(recent.error)}</Alert>;
  return (
    <div className="space-y-6" data-testid="recent-mail">
      <Card>
        <CardHeader
          title="Recent refusals"
          description={`Mail refused, put off or bounced in the last ${recent.data?.days ?? 7} days, newest first.`}
          action={link("&outcome=rejected", "Refused mail in Logs →")}
        />
        {!recent.data ? (
          <p className="p-5 text-sm text-slate-500">Loading…</p>
        ) : recent.data.refusals.length === 0 ? (
          <EmptyState title="Nothing refused">No mail for this domain was refused lately.</EmptyState>
        ) : (
          <MailLogList
            items={recent.data.refusals}
            canOpenServers={canOpenServers}
            showDomain={false}
            testId="recent-refusals"
          />
        )}
      </Card>
      <Card>
        <CardHeader
          title="Recent deliveries"
          description="The last messages delivered to or from this domain."
          action={link("&outcome=delivered", "All deliveries in Logs →")}
        />
        {!recent.data ? (
          <p className="p-5 text-sm text-slate-500">Loading…</p>
        ) : recent.data.deliveries.length === 0 ? (
          <EmptyState title="No deliveries yet">
            Deliveries show here once an agent serving this domain has delivered mail.
          </EmptyState>
        ) : (
          <MailLogList
            items={recent.data.deliveries}
            canOpenServers={canOpenServers}
            showDomain={false}
            testId="recent-deliveries"
          />
        )}
      </Card>
    </div>
  );
}
