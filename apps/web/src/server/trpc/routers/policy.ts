// The policy editor: provider defaults and locks, customer, domain and server values, and propagation.
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { policySchema, settingProblems, settings, type PolicyKey } from "@mailwarden/policy";
import {
  applyPropagation,
  getCustomerPolicy,
  getDomainPolicy,
  getProviderPolicy,
  previewPropagation,
  setLock,
  updateCustomerPolicy,
  updateDomainPolicy,
  updateProviderPolicy,
} from "../../services/policy";
import { getServerPolicy, updateServerPolicy } from "../../services/server-policy";
import { protectedProcedure } from "../trpc";

const id = z.string().min(1).max(64);
const settingKey = z.enum(Object.keys(settings) as [PolicyKey, ...PolicyKey[]]);

/**
 * A change to one level: any setting with its own schema, or null to clear the level's own value so it
 * inherits again. Built from the policy schema, so a new setting needs no router change; which keys a
 * level may set is the service's check (BAD_REQUEST otherwise).
 */
const levelPatch = z
  .object(
    Object.fromEntries(
      Object.entries(policySchema.shape).map(([key, schema]) => [key, schema.nullable()]),
    ) as { [K in PolicyKey]: z.ZodNullable<(typeof policySchema.shape)[K]> },
  )
  .partial()
  .strict();
const confirmLoosening = z.boolean().default(false);

/**
 * A patch its schema refuses is answered in words, as the editor words it before sending ("IP blacklist —
 * Entry 1: 203.0.113.300 is not an IP address or network"), instead of the validator's raw issue list.
 */
const savingProcedure = protectedProcedure.use(async ({ next, getRawInput }) => {
  const result = await next();
  if (result.ok || result.error.code !== "BAD_REQUEST") return result;
  const patch = ((await getRawInput()) as { patch?: Record<string, unknown> } | undefined)?.patch ?? {};
  const problems = Object.entries(patch).flatMap(([key, value]) =>
    key in settings && value !== null
      ? settingProblems(key as PolicyKey, value).map((p) => `${settings[key as PolicyKey].label} — ${p}`)
      : [],
  );
  if (!problems.length) return result;
  throw new TRPCError({ code: "BAD_REQUEST", message: problems.join(" "), cause: result.error });
});

export const policyRouter = {
  provider: protectedProcedure.query(({ ctx }) => getProviderPolicy(ctx.prisma, ctx.actor)),
  updateProvider: savingProcedure
    .input(z.object({ patch: levelPatch, confirmLoosening }))
    .mutation(({ ctx, input }) => updateProviderPolicy(ctx.prisma, ctx.actor, input, ctx.ip)),
  setLock: protectedProcedure
    .input(z.object({ key: settingKey, isLocked: z.boolean() }))
    .mutation(({ ctx, input }) => setLock(ctx.prisma, ctx.actor, input, ctx.ip)),
  customer: protectedProcedure
    .input(z.object({ customerId: id }))
    .query(({ ctx, input }) => getCustomerPolicy(ctx.prisma, ctx.actor, input.customerId)),
  updateCustomer: savingProcedure
    .input(z.object({ customerId: id, patch: levelPatch, confirmLoosening }))
    .mutation(({ ctx, input }) => updateCustomerPolicy(ctx.prisma, ctx.actor, input, ctx.ip)),
  domain: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => getDomainPolicy(ctx.prisma, ctx.actor, input.domainId)),
  updateDomain: savingProcedure
    .input(z.object({ domainId: id, patch: levelPatch, confirmLoosening }))
    .mutation(({ ctx, input }) => updateDomainPolicy(ctx.prisma, ctx.actor, input, ctx.ip)),
  server: protectedProcedure
    .input(z.object({ serverId: id }))
    .query(({ ctx, input }) => getServerPolicy(ctx.prisma, ctx.actor, input.serverId)),
  updateServer: savingProcedure
    .input(z.object({ serverId: id, patch: levelPatch, confirmLoosening }))
    .mutation(({ ctx, input }) => updateServerPolicy(ctx.prisma, ctx.actor, input, ctx.ip)),
  previewPropagation: protectedProcedure
    .input(z.object({ key: settingKey }))
    .query(({ ctx, input }) => previewPropagation(ctx.prisma, ctx.actor, input.key)),
  propagate: protectedProcedure
    .input(z.object({ key: settingKey }))
    .mutation(({ ctx, input }) => applyPropagation(ctx.prisma, ctx.actor, input.key, ctx.ip)),
} satisfies TRPCRouterRecord;
