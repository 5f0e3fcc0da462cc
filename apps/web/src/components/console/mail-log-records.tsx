// Mail-log records as the console shows them everywhere (the Logs page, a domain's recent mail): when, on
// which server, for which domain, what happened in one sentence, an outcome badge, the setting behind a
// refusal linked into the policy editor, and the way to the message's trace. A phone reads each record as
// a short card; a laptop as a table row.
"use client";
import Link from "next/link";
import type { MailLogRecord } from "@mailwarden/protocol";
import { Badge } from "~/components/ui/badge";
import { Table, Td, Th } from "~/components/ui/table";
import { displayDomain } from "~/lib/format";
import { describeRecord, outcomeLabels, outcomeTone, ruleSetting, settingHref } from "~/lib/mail-log-words";

export interface LogItem {
  key: string;
  at: Date | string;
  serverId: string;
  serverName: string;
  domainId: string | null;
  domainName: string | null;
  outcome: string | null;
  rule: string | null;
  queueId: string | null;
  messageId: string | null;
  record: MailLogRecord;
}

/** "14:02:31" today, "7 Dec, 14:02:31" this year, with the year before that; the full time on hover. */
export function LogTime({ at }: { at: Date | string }) {
  const date = new Date(at);
  const now = new Date();
  const isToday = date.toDateString() === now.toDateString();
  const time = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const day = date.toLocaleDateString(undefined, {
    day: "numeric",
    month: "short",
    ...(date.getFullYear() !== now.getFullYear() && { year: "numeric" }),
  });
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()} className="whitespace-nowrap">
      {isToday ? time : `${day}, ${time}`}
    </time>
  );
}

export function OutcomeBadge({ outcome }: { outcome: string | null }) {
  if (!outcome) return null;
  return <Badge tone={outcomeTone(outcome)}>{outcomeLabels[outcome] ?? outcome}</Badge>;
}

/** "Change: SPF check" linking to that setting where this record's domain or server sets it. */
export function RuleLink({ item, canOpenServers }: { item: LogItem; canOpenServers: boolean }) {
  const setting = ruleSetting(item.rule);
  if (!setting || !item.outcome || item.outcome === "accepted" || item.outcome === "delivered") return null;
  const href = settingHref(setting.key, item, canOpenServers);
  if (!href) return <span className="text-xs text-slate-500">Setting: {setting.label}</span>;
  return (
    <Link href={href} className="text-xs font-medium text-brand-700 hover:underline">
      Policy: {setting.label} →
    </Link>
  );
}

/** The trace of the message a record is about, when it names one. */
export function traceHref(item: Pick<LogItem, "messageId" | "queueId" | "serverId">): string | null {
  if (item.messageId) return `/logs/trace?messageId=${encodeURIComponent(item.messageId)}`;
  if (item.queueId)
    return `/logs/trace?queueId=${encodeURIComponent(item.queueId)}&serverId=${encodeURIComponent(item.serverId)}`;
  return null;
}

function TraceLink({ item }: { item: LogItem }) {
  const href = traceHref(item);
  if (!href) return null;
  return (
    <Link href={href} className="text-xs font-medium text-brand-700 hover:underline">
      Trace message
    </Link>
  );
}

function Where({ item, showDomain }: { item: LogItem; showDomain: boolean }) {
  return (
    <>
      {item.serverName}
      {showDomain && item.domainName && <> · {displayDomain(item.domainName)}</>}
    </>
  );
}

export function MailLogList({
  items,
  canOpenServers,
  showDomain = true,
  testId = "mail-log",
}: {
  items: LogItem[];
  canOpenServers: boolean;
  showDomain?: boolean;
  testId?: string;
}) {
  return (
    <>
      <ul className="divide-y divide-slate-100 md:hidden" data-testid={`${testId}-list`}>
        {items.map((item) => (
          <li key={item.key} className="space-y-1 px-4 py-3 text-sm" data-testid="log-record">
            <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
              <OutcomeBadge outcome={item.outcome} />
              <LogTime at={item.at} />
              <span className="min-w-0 break-words">
                <Where item={item} showDomain={showDomain} />
              </span>
            </div>
            <p className="break-words text-slate-900">{describeRecord(item.record)}</p>
            <div className="flex flex-wrap gap-x-4 gap-y-1">
              <RuleLink item={item} canOpenServers={canOpenServers} />
              <TraceLink item={item} />
            </div>
          </li>
        ))}
      </ul>
      <div className="hidden md:block">
        <Table data-testid={`${testId}-table`}>
          <thead>
            <tr>
              <Th>Time</Th>
              <Th>Server</Th>
              {showDomain && <Th>Domain</Th>}
              <Th>What happened</Th>
              <Th>Outcome</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.key} data-testid="log-record">
                <Td className="text-slate-600">
                  <LogTime at={item.at} />
                </Td>
                <Td className="whitespace-nowrap">{item.serverName}</Td>
                {showDomain && (
                  <Td className="whitespace-nowrap">
                    {item.domainName ? displayDomain(item.domainName) : "—"}
                  </Td>
                )}
                <Td className="min-w-72 break-words">
                  {describeRecord(item.record)}
                  <div className="mt-0.5">
                    <RuleLink item={item} canOpenServers={canOpenServers} />
                  </div>
                </Td>
                <Td>
                  <OutcomeBadge outcome={item.outcome} />
                </Td>
                <Td className="whitespace-nowrap text-right">
                  <TraceLink item={item} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </div>
    </>
  );
}
