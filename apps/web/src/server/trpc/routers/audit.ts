// The audit log, filtered and paged.
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { AuditEventType } from "@mailwarden/db";
import { listAuditEvents } from "../../services/audit";
import { protectedProcedure } from "../trpc";

export const auditRouter = {
  list: protectedProcedure
    .input(
      z.object({
        type: z.enum(Object.values(AuditEventType) as [string, ...string[]]).optional(),
        actor: z.string().trim().max(254).optional(),
        customerId: z.string().max(64).optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        search: z.string().trim().max(200).optional(),
        cursor: z.string().max(64).optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) =>
      listAuditEvents(ctx.prisma, ctx.actor, {
        ...input,
        type: input.type as AuditEventType | undefined,
        tenantId: input.customerId,
      }),
    ),
  types: protectedProcedure.query(() => Object.values(AuditEventType)),
} satisfies TRPCRouterRecord;
