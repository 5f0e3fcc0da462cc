// First-run setup, the signed-in user's own account and 2FA enrollment.
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { changeOwnPassword, consolePasswordPolicy, weakPasswordProblems } from "../../auth/console-password";
import { completeSetup, isSetupTokenValid, needsSetup } from "../../auth/setup";
import { beginTotpEnrollment, confirmTotpEnrollment, regenerateRecoveryCodes } from "../../auth/totp";
import { publicProcedure, sessionProcedure, protectedProcedure } from "../trpc";

const email = z.string().trim().toLowerCase().email("Enter a valid email address.").max(254);

export const authRouter = {
  setupStatus: publicProcedure
    .input(z.object({ token: z.string().max(200) }))
    .query(async ({ ctx, input }) => ({
      needsSetup: await needsSetup(ctx.prisma),
      tokenValid: await isSetupTokenValid(ctx.prisma, input.token),
    })),
  completeSetup: publicProcedure
    .input(
      z.object({
        token: z.string().min(1).max(200),
        name: z.string().trim().min(1, "Enter your name.").max(100),
        email,
        password: z.string().min(1).max(256),
      }),
    )
    .mutation(({ ctx, input }) => completeSetup(ctx.prisma, { ...input, ip: ctx.ip })),
  me: sessionProcedure.query(async ({ ctx }) => ({
    userId: ctx.actor.userId,
    email: ctx.actor.email,
    name: ctx.actor.name,
    providerRole: ctx.actor.providerRole,
    memberships: ctx.actor.memberships.map((m) => ({ tenantId: m.tenantId, role: m.role })),
    totpEnabled: ctx.actorState.totpEnabled,
    needs2faSetup: ctx.actorState.needs2faSetup,
    /** Row 14: why the password of the last sign-in fails the policy in force ([] = it passes). */
    weakPasswordProblems: await weakPasswordProblems(ctx.prisma, ctx.actor.userId),
    /** The policy a new password must meet (the account page checks it live). */
    passwordPolicy: await consolePasswordPolicy(ctx.prisma, ctx.actor.userId),
  })),
  changePassword: protectedProcedure
    .input(
      z.object({
        currentPassword: z.string().min(1, "Enter your current password.").max(256),
        newPassword: z.string().min(1, "Enter a new password.").max(256),
      }),
    )
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.prisma, ctx.actor, input, ctx.ip)),
  beginTotp: sessionProcedure.mutation(({ ctx }) => beginTotpEnrollment(ctx.prisma, ctx.actor.userId)),
  confirmTotp: sessionProcedure
    .input(z.object({ code: z.string().trim().min(6).max(10) }))
    .mutation(({ ctx, input }) => confirmTotpEnrollment(ctx.prisma, ctx.actor.userId, input.code, ctx.ip)),
  regenerateRecoveryCodes: protectedProcedure.mutation(({ ctx }) =>
    regenerateRecoveryCodes(ctx.prisma, ctx.actor.userId, ctx.ip),
  ),
} satisfies TRPCRouterRecord;
