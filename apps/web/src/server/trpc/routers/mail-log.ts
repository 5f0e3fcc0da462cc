// The mail log: search (keyset pages), the live tail, a message's trace, a server's gap records and a
// domain's recent mail. Scoping is the service's, through scope.mailLog.
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { mailLogSearchInput, mailLogTailInput, mailLogTraceInput } from "~/lib/schemas/mail-log";
import { rowId } from "~/lib/schemas/fields";
import {
  domainRecentMail,
  mailLogOptions,
  searchMailLog,
  serverLogGaps,
  tailMailLog,
  traceMessage,
} from "../../services/mail-log";
import { protectedProcedure } from "../trpc";

export const mailLogRouter = {
  options: protectedProcedure.query(({ ctx }) => mailLogOptions(ctx.prisma, ctx.actor)),
  search: protectedProcedure
    .input(mailLogSearchInput)
    .query(({ ctx, input }) => searchMailLog(ctx.prisma, ctx.actor, input)),
  tail: protectedProcedure
    .input(mailLogTailInput)
    .query(({ ctx, input }) => tailMailLog(ctx.prisma, ctx.actor, input)),
  trace: protectedProcedure
    .input(mailLogTraceInput)
    .query(({ ctx, input }) => traceMessage(ctx.prisma, ctx.actor, input)),
  serverGaps: protectedProcedure
    .input(z.object({ serverId: rowId }))
    .query(({ ctx, input }) => serverLogGaps(ctx.prisma, ctx.actor, input.serverId)),
  domainRecent: protectedProcedure
    .input(z.object({ domainId: rowId }))
    .query(({ ctx, input }) => domainRecentMail(ctx.prisma, ctx.actor, input.domainId)),
} satisfies TRPCRouterRecord;
