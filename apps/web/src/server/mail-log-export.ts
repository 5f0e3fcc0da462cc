// The mail log's export (CSV or NDJSON) of exactly what the Logs page's filters find, for any number of
// records: the rows are read a keyset page at a time and streamed as they come, so memory stays at one
// page. Who may see which rows is decided as for the page, by scope.mailLog. The route handler
// (app/api/mail-log/export/route.ts) only reads the session and hands over here, so tests reach this directly.
import type { Db } from "@mailwarden/db";
import { firstZodMessage } from "~/lib/error-message";
import { addressesOf, describeRecord } from "~/lib/mail-log-words";
import { exportFormats, mailLogFilterInput, type ExportFormat } from "~/lib/schemas/mail-log";
import { z } from "zod";
import { can } from "./access";
import { loadActor } from "./auth/actor";
import { logger } from "./logger";
import { mailLogPages, type MailLogItem } from "./services/mail-log";

const csvColumns = [
  "time",
  "server",
  "domain",
  "what happened",
  "outcome",
  "direction",
  "rule",
  "sender",
  "recipients",
  "client ip",
  "queue id",
  "message id",
  "record type",
  "sequence",
] as const;

/** A CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
function csvField(value: string | number | null): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(item: MailLogItem): string {
  const { from, to } = addressesOf(item.record);
  const client = "client" in item.record ? item.record.client : null;
  return `${[
    item.at.toISOString(),
    item.serverName,
    item.domainName,
    describeRecord(item.record),
    item.outcome,
    item.direction,
    item.rule,
    from,
    to.join(" "),
    client,
    item.queueId,
    item.messageId,
    item.type,
    item.seq,
  ]
    .map(csvField)
    .join(",")}\r\n`;
}

function ndjsonLine(item: MailLogItem): string {
  return `${JSON.stringify({
    at: item.at.toISOString(),
    server: item.serverName,
    serverId: item.serverId,
    domain: item.domainName,
    seq: item.seq,
    outcome: item.outcome,
    summary: describeRecord(item.record),
    record: item.record,
  })}\n`;
}

function plain(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/** The export's response for the signed-in `userId` (null: nobody) and the page's query string. */
export async function mailLogExportResponse(
  prisma: Db,
  userId: string | null,
  searchParams: URLSearchParams,
  pageSize = 1000,
): Promise<Response> {
  const state = userId ? await loadActor(prisma, userId) : null;
  if (!state) return plain(401, "Please sign in.");
  if (state.needs2faSetup) return plain(403, "Set up two-factor authentication first.");
  if (!can(state.actor, "logs.read")) return plain(403, "You do not have permission to do that.");
  const format = z.enum(exportFormats).safeParse(searchParams.get("format") ?? "csv");
  if (!format.success) return plain(400, "Choose CSV or NDJSON.");
  const params = Object.fromEntries([...searchParams].filter(([key]) => key !== "format"));
  const filter = mailLogFilterInput.safeParse(params);
  if (!filter.success)
    return plain(400, firstZodMessage(z.flattenError(filter.error)) ?? "Check the filters.");

  const pages = mailLogPages(prisma, state.actor, filter.data, pageSize);
  const encoder = new TextEncoder();
  const isCsv = format.data === "csv";
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (isCsv) controller.enqueue(encoder.encode(`${csvColumns.join(",")}\r\n`));
    },
    // One page per pull: the next page is read only when the client has taken the last.
    async pull(controller) {
      try {
        const next = await pages.next();
        if (next.done) return controller.close();
        controller.enqueue(encoder.encode(next.value.map(isCsv ? csvLine : ndjsonLine).join("")));
      } catch (error) {
        logger.error({ err: error }, "mail-log export failed");
        controller.error(error);
      }
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": isCsv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "Content-Disposition": `attachment; filename="${exportFileName(format.data)}"`,
      "Cache-Control": "no-store",
    },
  });
}

function exportFileName(format: ExportFormat): string {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  return `mail-log-${stamp}.${format}`;
}
