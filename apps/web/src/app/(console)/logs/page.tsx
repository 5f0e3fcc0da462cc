// The mail log: every decision the agents made, searched by time, server, domain, direction, outcome,
// sender, recipient, client IP, rule or message; newest first, a page at a time; a live tail that polls
// for newer records with the same filters; export of the whole filtered set. The applied filters live in
// the URL, so a search can be bookmarked, shared and linked to (a domain's "See all").
"use client";
import * as React from "react";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { mailDirections, mailLogOutcomes } from "@mailwarden/protocol";
import { Form, FormField, FormError, useZodForm } from "~/components/form";
import { MailLogList, type LogItem } from "~/components/console/mail-log-records";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, EmptyState, PageHeader } from "~/components/ui/card";
import { Select } from "~/components/ui/input";
import { displayDomain } from "~/lib/format";
import { outcomeLabels } from "~/lib/mail-log-words";
import { mailLogSearchForm, type MailLogFilter } from "~/lib/schemas/mail-log";
import { errorMessage, useTRPC } from "~/lib/trpc";
import type { z } from "zod";

const LIVE_POLL_MS = 4000;
const textFields = ["sender", "recipient", "clientIp", "rule", "message"] as const;
const choiceFields = ["serverId", "domainId", "mailDirection", "outcome"] as const;
type FormValues = z.input<typeof mailLogSearchForm>;

/** The form's values from the URL ("" for what is not there). */
function valuesFrom(params: URLSearchParams): FormValues {
  const values: Record<string, string> = {};
  for (const key of [...textFields, ...choiceFields, "from", "to"]) values[key] = params.get(key) ?? "";
  // Checked where it is used: a hand-edited URL with a bad value shows that field's message on submit.
  return values as FormValues;
}

/** What the procedures take: blanks dropped, the local date and time as a date. */
function filterOf(values: FormValues): MailLogFilter {
  const parsed = mailLogSearchForm.safeParse(values);
  if (!parsed.success) return {};
  const { from, to, ...rest } = parsed.data;
  return {
    ...rest,
    ...(from ? { from: new Date(from) } : {}),
    ...(to ? { to: new Date(to) } : {}),
  };
}

function isEmptyFilter(filter: MailLogFilter): boolean {
  return Object.values(filter).every((value) => value === undefined);
}

/** The export's query string: the same filters, dates as ISO instants. */
function exportQuery(filter: MailLogFilter, format: "csv" | "ndjson"): string {
  const params = new URLSearchParams({ format });
  for (const [key, value] of Object.entries(filter)) {
    if (value instanceof Date) params.set(key, value.toISOString());
    else if (value) params.set(key, String(value));
  }
  return params.toString();
}

const byNewest = (x: LogItem, y: LogItem) =>
  new Date(y.at).getTime() - new Date(x.at).getTime() ||
  (y.serverId < x.serverId ? -1 : y.serverId > x.serverId ? 1 : 0) ||
  Number(y.key.split(":")[1]) - Number(x.key.split(":")[1]);

export default function LogsPage() {
  return (
    <React.Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
      <Logs />
    </React.Suspense>
  );
}

function Logs() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const applied = React.useMemo(
    () => valuesFrom(new URLSearchParams(searchParams.toString())),
    [searchParams],
  );
  const filter = React.useMemo(() => filterOf(applied), [applied]);
  const options = useQuery(trpc.mailLog.options.queryOptions());
  const me = useQuery(trpc.auth.me.queryOptions());
  const canOpenServers =
    Boolean(me.data?.providerRole) || (me.data?.memberships.some((m) => m.role !== "DOMAIN_ADMIN") ?? false);

  const form = useZodForm(mailLogSearchForm, { defaultValues: applied });
  // Back/forward or a link changes the URL: the form follows.
  React.useEffect(() => form.reset(applied), [applied, form]);

  const search = useInfiniteQuery(
    trpc.mailLog.search.infiniteQueryOptions(
      { ...filter, limit: 50 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const [isLive, setLive] = React.useState(false);
  const [liveItems, setLiveItems] = React.useState<LogItem[]>([]);
  React.useEffect(() => setLiveItems([]), [filter]);

  const pageItems = search.data?.pages.flatMap((p) => p.items) ?? [];
  const rows = React.useMemo(() => {
    const seen = new Set<string>();
    return [...liveItems, ...pageItems]
      .filter((item) => (seen.has(item.key) ? false : (seen.add(item.key), true)))
      .sort(byNewest);
  }, [liveItems, pageItems]);

  // The tail: every few seconds, records from just before the newest shown on, same filters.
  const [liveSince, setLiveSince] = React.useState(() => new Date());
  const newest = rows[0] ? new Date(rows[0].at) : liveSince;
  const tail = useQuery({
    ...trpc.mailLog.tail.queryOptions({ ...filter, since: newest }),
    enabled: isLive,
    refetchInterval: LIVE_POLL_MS,
  });
  React.useEffect(() => {
    if (!tail.data) return;
    if (tail.data.isTruncated) {
      setLiveItems([]);
      void search.refetch();
      return;
    }
    const arrived = tail.data.items;
    setLiveItems((current) => {
      const known = new Set(current.map((item) => item.key));
      const fresh = arrived.filter((item) => !known.has(item.key));
      return fresh.length ? [...fresh, ...current] : current;
    });
  }, [tail.data]);

  function apply(values: FormValues) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
    const query = params.toString();
    router.replace(`${pathname}${query ? `?${query}` : ""}`);
  }

  const hasFilter = !isEmptyFilter(filter);
  const [isMoreShown, setMoreShown] = React.useState(() =>
    (["from", "to", "outcome", "mailDirection", "serverId", "domainId", "rule"] as const).some((key) =>
      Boolean(applied[key]),
    ),
  );
  const traceable = filter.message
    ? `/logs/trace?${/@|^</.test(filter.message) ? "messageId" : "queueId"}=${encodeURIComponent(filter.message)}`
    : null;

  return (
    <>
      <PageHeader
        title="Logs"
        description="Every decision your mail servers made: connections, senders, recipients, messages and deliveries."
        action={
          <div className="flex flex-wrap gap-2">
            <a
              className="inline-flex h-8 items-center rounded-md px-3 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50"
              href={`/api/mail-log/export?${exportQuery(filter, "csv")}`}
              download
            >
              Export CSV
            </a>
            <a
              className="inline-flex h-8 items-center rounded-md px-3 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50"
              href={`/api/mail-log/export?${exportQuery(filter, "ndjson")}`}
              download
            >
              Export NDJSON
            </a>
          </div>
        }
      />
      <Card className="mb-4 p-4">
        <Form
          form={form}
          onSubmit={() => apply(form.getValues())}
          aria-label="Search the mail log"
          className="space-y-4"
        >
          <FormError form={form} />
          <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            <FormField
              form={form}
              name="recipient"
              label="Recipient"
              placeholder="bob@example.com"
              autoComplete="off"
            />
            <FormField
              form={form}
              name="sender"
              label="Sender"
              placeholder="alice@example.net"
              autoComplete="off"
            />
            <FormField
              form={form}
              name="message"
              label="Queue ID or Message-ID"
              placeholder="<id@example.net>"
              autoComplete="off"
            />
            <FormField
              form={form}
              name="clientIp"
              label="Client IP"
              placeholder="203.0.113.9"
              autoComplete="off"
            />
            {/* A phone shows the four searches people start from; the rest on request (display: contents
                keeps them in the grid where there is room for all). */}
            <div className={isMoreShown ? "contents" : "hidden sm:contents"} id="more-log-filters">
              <FormField form={form} name="from" label="From" type="datetime-local" />
              <FormField form={form} name="to" label="Until" type="datetime-local" />
              <FormField form={form} name="outcome" label="Outcome">
                {(control) => (
                  <Select {...control}>
                    <option value="">Any outcome</option>
                    {mailLogOutcomes.map((o) => (
                      <option key={o} value={o}>
                        {outcomeLabels[o]}
                      </option>
                    ))}
                  </Select>
                )}
              </FormField>
              <FormField form={form} name="mailDirection" label="Direction">
                {(control) => (
                  <Select {...control}>
                    <option value="">Both directions</option>
                    {mailDirections.map((d) => (
                      <option key={d} value={d}>
                        {d === "inbound" ? "Inbound (to your domains)" : "Outbound (sent by your users)"}
                      </option>
                    ))}
                  </Select>
                )}
              </FormField>
              {(options.data?.servers.length ?? 0) > 0 && (
                <FormField form={form} name="serverId" label="Server">
                  {(control) => (
                    <Select {...control}>
                      <option value="">All servers</option>
                      {options.data?.servers.map((s) => (
                        <option key={s.id} value={s.id}>
                          {s.name}
                        </option>
                      ))}
                    </Select>
                  )}
                </FormField>
              )}
              <FormField form={form} name="domainId" label="Domain">
                {(control) => (
                  <Select {...control}>
                    <option value="">All domains</option>
                    {options.data?.domains.map((d) => (
                      <option key={d.id} value={d.id}>
                        {displayDomain(d.name)}
                      </option>
                    ))}
                  </Select>
                )}
              </FormField>
              <FormField form={form} name="rule" label="Rule" placeholder="spf" autoComplete="off" />
            </div>
          </div>
          {!isMoreShown && (
            <button
              type="button"
              className="text-sm font-medium text-brand-700 hover:underline sm:hidden"
              aria-controls="more-log-filters"
              aria-expanded={false}
              onClick={() => setMoreShown(true)}
            >
              More filters: time, outcome, direction, server, domain, rule
            </button>
          )}
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit">Search</Button>
            {hasFilter && (
              <Button type="button" variant="ghost" onClick={() => router.replace(pathname)}>
                Clear filters
              </Button>
            )}
            {traceable && (
              <Link href={traceable} className="text-sm font-medium text-brand-700 hover:underline">
                Trace this message →
              </Link>
            )}
            <label className="ml-auto flex items-center gap-2 text-sm text-slate-700">
              <input
                type="checkbox"
                className="size-4 rounded border-slate-300"
                checked={isLive}
                onChange={(e) => {
                  setLiveSince(new Date());
                  setLive(e.target.checked);
                }}
              />
              Live — show new records as they arrive
            </label>
          </div>
        </Form>
      </Card>
      <Card>
        {isLive && (
          <p
            className="flex items-center gap-2 border-b border-slate-100 px-4 py-2 text-xs text-slate-500"
            role="status"
          >
            <span className="size-2 animate-pulse rounded-full bg-emerald-500" aria-hidden />
            Live: checking for new records every {LIVE_POLL_MS / 1000} seconds.
          </p>
        )}
        {search.error ? (
          <Alert tone="error" className="m-4">
            {errorMessage(search.error)}
          </Alert>
        ) : search.isLoading ? (
          <p className="p-5 text-sm text-slate-500">Loading…</p>
        ) : rows.length === 0 ? (
          <NoRecords
            hasFilter={hasFilter}
            hasAgents={options.data?.hasEnrolledServers ?? true}
            canOpenServers={canOpenServers}
          />
        ) : (
          <MailLogList items={rows} canOpenServers={canOpenServers} />
        )}
        {search.hasNextPage && (
          <div className="border-t border-slate-100 p-4 text-center">
            <Button
              variant="secondary"
              busy={search.isFetchingNextPage}
              onClick={() => void search.fetchNextPage()}
            >
              Load more
            </Button>
          </div>
        )}
      </Card>
    </>
  );
}

function NoRecords({
  hasFilter,
  hasAgents,
  canOpenServers,
}: {
  hasFilter: boolean;
  hasAgents: boolean;
  canOpenServers: boolean;
}) {
  if (!hasAgents)
    return (
      <EmptyState
        title="No agents enrolled yet"
        action={
          canOpenServers && (
            <Link href="/servers" className="text-sm font-medium text-brand-700 hover:underline">
              Go to Servers →
            </Link>
          )
        }
      >
        Records appear here once the Mailwarden agent runs on one of your mail servers: add a server and run
        the enrollment command it shows on that host.
      </EmptyState>
    );
  if (hasFilter)
    return (
      <EmptyState title="No records match">
        Check the address for typos, widen the time range or clear a filter. A recipient alone searches every
        day still kept.
      </EmptyState>
    );
  return (
    <EmptyState title="No records yet">
      Agents send their records within seconds of each decision. Send a test message to one of your domains
      and it shows up here.
    </EmptyState>
  );
}
