// The policy editor: provider defaults, per-domain and per-server overrides, and propagation.
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { policySchema, settings, type PolicyKey } from "@mailwarden/policy";
import {
  applyPropagation,
  getDomainPolicy,
  getProviderPolicy,
  previewPropagation,
  updateDomainPolicy,
  updateProviderPolicy,
} from "../../services/policy";
import { getServerPolicy, updateServerPolicy } from "../../services/server-policy";
import { protectedProcedure } from "../trpc";

const id = z.string().min(1).max(64);
const settingKey = z.enum(Object.keys(settings) as [PolicyKey, ...PolicyKey[]]);
const domainPatch = policySchema
  .pick({ requireSmtpAuth: true, passwordPolicy: true, catchAllMailbox: true })
  .extend({
    requireSmtpAuth: policySchema.shape.requireSmtpAuth.nullable(),
    passwordPolicy: policySchema.shape.passwordPolicy.nullable(),
    // null: the domain's own catch-all is removed (refuse unknown addresses, unless inherited)
    catchAllMailbox: policySchema.shape.catchAllMailbox,
  })
  .partial()
  .strict();

// The server-level rows (1, 12, 13, 24, 25); null clears the server's own value so it inherits again.
const serverPatch = z
  .object({
    relay: policySchema.shape.relay.nullable(),
    tlsMinVersion: policySchema.shape.tlsMinVersion.nullable(),
    authOnlyOverTls: policySchema.shape.authOnlyOverTls.nullable(),
    retryScheduleMinutes: policySchema.shape.retryScheduleMinutes.nullable(),
    serverRole: policySchema.shape.serverRole.nullable(),
  })
  .partial()
  .strict();

export const policyRouter = {
  provider: protectedProcedure.query(({ ctx }) => getProviderPolicy(ctx.prisma, ctx.actor)),
  updateProvider: protectedProcedure
    .input(z.object({ patch: policySchema.partial().strict(), confirmLoosening: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => updateProviderPolicy(ctx.prisma, ctx.actor, input, ctx.ip)),
  domain: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => getDomainPolicy(ctx.prisma, ctx.actor, input.domainId)),
  updateDomain: protectedProcedure
    .input(z.object({ domainId: id, patch: domainPatch, confirmLoosening: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => updateDomainPolicy(ctx.prisma, ctx.actor, input, ctx.ip)),
  server: protectedProcedure
    .input(z.object({ serverId: id }))
    .query(({ ctx, input }) => getServerPolicy(ctx.prisma, ctx.actor, input.serverId)),
  updateServer: protectedProcedure
    .input(z.object({ serverId: id, patch: serverPatch, confirmLoosening: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => updateServerPolicy(ctx.prisma, ctx.actor, input, ctx.ip)),
  previewPropagation: protectedProcedure
    .input(z.object({ key: settingKey }))
    .query(({ ctx, input }) => previewPropagation(ctx.prisma, ctx.actor, input.key)),
  propagate: protectedProcedure
    .input(z.object({ key: settingKey }))
    .mutation(({ ctx, input }) => applyPropagation(ctx.prisma, ctx.actor, input.key, ctx.ip)),
} satisfies TRPCRouterRecord;
