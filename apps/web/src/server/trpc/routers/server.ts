// Servers (agents): list, detail with posture, add with an enrollment token, revoke, delete, mail queue,
// abuse blocks (row 21).
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { Listener } from "@mailwarden/db";
import { abuseBlockIdSchema } from "@mailwarden/protocol";
import { getRuntime } from "../../runtime";
import { getServerAbuseBlocks, liftAbuseBlock } from "../../services/abuse-blocks";
import { getServerQueue, queueAction, queueActions } from "../../services/queue";
import {
  consoleAddress,
  createServer,
  deleteServer,
  enrollCommands,
  getServer,
  listServers,
  newEnrollmentToken,
  revokeServer,
  updateServerListeners,
} from "../../services/servers";
import { createServerInput } from "../../../lib/schemas/server";
import { protectedProcedure } from "../trpc";

const id = z.string().min(1).max(64);
const queueMessageId = z.string().min(1).max(128);

function withCommands<T extends { token: string }>(result: T) {
  return { ...result, commands: enrollCommands(getRuntime().publicUrl, result.token) };
}

export const serverRouter = {
  /** The console's public address as install commands name it; the Add-server dialog warns on loopback. */
  consoleAddress: protectedProcedure.query(() => consoleAddress(getRuntime().publicUrl)),
  list: protectedProcedure
    .input(z.object({ customerId: id.optional() }).default({}))
    .query(({ ctx, input }) => listServers(ctx.prisma, ctx.actor, input)),
  get: protectedProcedure
    .input(z.object({ serverId: id }))
    .query(({ ctx, input }) => getServer(ctx.prisma, ctx.actor, input.serverId)),
  create: protectedProcedure
    .input(createServerInput)
    .mutation(async ({ ctx, input }) =>
      withCommands(await createServer(ctx.prisma, ctx.actor, input, ctx.ip)),
    ),
  newToken: protectedProcedure
    .input(z.object({ serverId: id }))
    .mutation(async ({ ctx, input }) =>
      withCommands(await newEnrollmentToken(ctx.prisma, ctx.actor, input.serverId, ctx.ip)),
    ),
  /** Which listeners the agent opens (inbound 25, submission 587 and 465, POP3 110 and 995). */
  updateListeners: protectedProcedure
    .input(
      z.object({
        serverId: id,
        listeners: z.array(z.enum(Object.values(Listener))).max(Object.values(Listener).length),
      }),
    )
    .mutation(({ ctx, input }) => updateServerListeners(ctx.prisma, ctx.actor, input, ctx.ip)),
  revoke: protectedProcedure
    .input(z.object({ serverId: id }))
    .mutation(({ ctx, input }) => revokeServer(ctx.prisma, ctx.actor, input.serverId, ctx.ip)),
  delete: protectedProcedure
    .input(z.object({ serverId: id }))
    .mutation(({ ctx, input }) => deleteServer(ctx.prisma, ctx.actor, input.serverId, ctx.ip)),
  queue: protectedProcedure
    .input(z.object({ serverId: id }))
    .query(({ ctx, input }) => getServerQueue(ctx.prisma, ctx.actor, input.serverId)),
  queueAction: protectedProcedure
    .input(
      z.object({
        serverId: id,
        action: z.enum(queueActions),
        ids: z.array(queueMessageId).max(500).default([]),
      }),
    )
    .mutation(({ ctx, input }) => queueAction(ctx.prisma, ctx.actor, input, ctx.ip)),
  abuseBlocks: protectedProcedure
    .input(z.object({ serverId: id }))
    .query(({ ctx, input }) => getServerAbuseBlocks(ctx.prisma, ctx.actor, input.serverId)),
  liftAbuseBlock: protectedProcedure
    .input(z.object({ serverId: id, blockId: abuseBlockIdSchema }))
    .mutation(({ ctx, input }) => liftAbuseBlock(ctx.prisma, ctx.actor, input, ctx.ip)),
} satisfies TRPCRouterRecord;
