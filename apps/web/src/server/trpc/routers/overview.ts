// Numbers for the overview page.
import type { TRPCRouterRecord } from "@trpc/server";
import { getOverview } from "../../services/overview";
import { protectedProcedure } from "../trpc";

export const overviewRouter = {
  get: protectedProcedure.query(({ ctx }) => getOverview(ctx.prisma, ctx.actor)),
} satisfies TRPCRouterRecord;
