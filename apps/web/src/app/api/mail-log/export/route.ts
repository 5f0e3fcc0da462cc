// GET /api/mail-log/export?format=csv|ndjson&<the Logs page's filters>: the filtered mail log as a
// streamed download. Adapts HTTP only; the export and its scoping live in ~/server/mail-log-export.
import { getCurrentSession } from "~/server/auth/session";
import { mailLogExportResponse } from "~/server/mail-log-export";
import { getRuntime } from "~/server/runtime";

export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const session = await getCurrentSession();
  return mailLogExportResponse(
    getRuntime().prisma,
    session?.userId ?? null,
    new URL(request.url).searchParams,
  );
}
