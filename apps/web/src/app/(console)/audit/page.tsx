// The audit log: who changed what, when, from where — filterable and paged.
"use client";
import * as React from "react";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, EmptyState, PageHeader } from "~/components/ui/card";
import { Input, Select } from "~/components/ui/input";
import { Table, Td, Th } from "~/components/ui/table";
import { AuditChanges } from "~/components/console/audit-changes";
import { displayDomainsIn, formatDateTime } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";

function EventBadge({ type }: { type: string }) {
  return (
    <Badge tone={type.includes("FAILED") || type.includes("LOCKED") ? "red" : "slate"}>
      {type.toLowerCase().replaceAll("_", " ")}
    </Badge>
  );
}

export default function AuditPage() {
  const trpc = useTRPC();
  const [filters, setFilters] = React.useState({ type: "", actor: "", search: "", from: "", to: "" });
  const types = useQuery(trpc.audit.types.queryOptions());
  const input = {
    type: filters.type || undefined,
    actor: filters.actor || undefined,
    search: filters.search || undefined,
    from: filters.from ? new Date(filters.from) : undefined,
    to: filters.to ? new Date(`${filters.to}T23:59:59`) : undefined,
    limit: 50,
  };
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  const rows = events.data?.pages.flatMap((p) => p.items) ?? [];
  const set = (key: keyof typeof filters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setFilters({ ...filters, [key]: e.target.value });
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, sign-in and agent event, with who did it and from where."
      />
      <Card className="mb-4 grid gap-3 p-4 md:grid-cols-5">
        <Select aria-label="Event type" value={filters.type} onChange={set("type")}>
          <option value="">All events</option>
          {types.data?.map((t) => (
            <option key={t} value={t}>
              {t.toLowerCase().replaceAll("_", " ")}
            </option>
          ))}
        </Select>
        <Input aria-label="Actor" placeholder="Who (email)" value={filters.actor} onChange={set("actor")} />
        <Input
          aria-label="Search"
          placeholder="Search text"
          value={filters.search}
          onChange={set("search")}
        />
        <Input aria-label="From" type="date" value={filters.from} onChange={set("from")} />
        <Input aria-label="To" type="date" value={filters.to} onChange={set("to")} />
      </Card>
      <Card>
        {events.isLoading ? (
          <p className="p-5 text-sm text-slate-500">Loading…</p>
        ) : rows.length === 0 ? (
          <EmptyState title="No events match">Try removing a filter.</EmptyState>
        ) : (
          <>
            {/* A phone reads each event as a short card: what happened first, then who, when, where. */}
            <ul className="divide-y divide-slate-100 md:hidden" data-testid="audit-list">
              {rows.map((e) => (
                <li key={e.id} className="space-y-1 px-4 py-3 text-sm">
                  <div className="flex flex-wrap items-center gap-2">
                    <EventBadge type={e.type} />
                    <span className="text-xs text-slate-500">{formatDateTime(e.at)}</span>
                  </div>
                  <p className="break-words text-slate-900">{displayDomainsIn(e.summary)}</p>
                  <AuditChanges before={e.before} after={e.after} />
                  <p className="break-words text-xs text-slate-500">
                    {e.actorLabel}
                    {e.customer && <> · {e.customer}</>}
                    {e.ip && <> · from {e.ip}</>}
                  </p>
                </li>
              ))}
            </ul>
            <div className="hidden md:block">
              <Table data-testid="audit-table">
                <thead>
                  <tr>
                    <Th>When</Th>
                    <Th>Who</Th>
                    <Th>Event</Th>
                    <Th>What</Th>
                    <Th>Customer</Th>
                    <Th>From</Th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => (
                    <tr key={e.id}>
                      <Td className="whitespace-nowrap">{formatDateTime(e.at)}</Td>
                      <Td>
                        {e.actorLabel}
                        {e.actorType !== "USER" && (
                          <Badge className="ml-1">{e.actorType.toLowerCase()}</Badge>
                        )}
                      </Td>
                      <Td>
                        <EventBadge type={e.type} />
                      </Td>
                      <Td className="min-w-64">
                        {displayDomainsIn(e.summary)}
                        <AuditChanges before={e.before} after={e.after} />
                      </Td>
                      <Td>{e.customer ?? "—"}</Td>
                      <Td className="text-slate-500">{e.ip ?? "—"}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </div>
          </>
        )}
        {events.hasNextPage && (
          <div className="p-4 text-center">
            <Button
              variant="secondary"
              busy={events.isFetchingNextPage}
              onClick={() => void events.fetchNextPage()}
            >
              Load more
            </Button>
          </div>
        )}
      </Card>
    </>
  );
}
