// First-run setup, the signed-in user's own account and 2FA enrollment.
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { changeOwnPassword, consolePasswordPolicy, weakPasswordProblems } from "../../auth/console-password";
import { completeSetup, isSetupTokenValid, needsSetup } from "../../auth/setup";
import { beginTotpEnrollment, confirmTotpEnrollment, regenerateRecoveryCodes } from "../../auth/totp";
import { changePasswordInput, completeSetupInput, totpCodeInput } from "../../../lib/schemas/auth";
import { endSessionsInput, passwordResetInput } from "../../../lib/schemas/people";
import { completePasswordReset, passwordResetStatus } from "../../auth/password-reset";
import { endOwnSessions, listOwnSessions } from "../../auth/sessions";
import { publicProcedure, sessionProcedure, protectedProcedure } from "../trpc";

export const authRouter = {
  setupStatus: publicProcedure
    .input(z.object({ token: z.string().max(200) }))
    .query(async ({ ctx, input }) => ({
      needsSetup: await needsSetup(ctx.prisma),
      tokenValid: await isSetupTokenValid(ctx.prisma, input.token),
    })),
  completeSetup: publicProcedure
    .input(completeSetupInput)
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
    .input(changePasswordInput)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.prisma, ctx.actor, input, ctx.ip)),
  beginTotp: sessionProcedure
    .input(z.object({ restart: z.boolean().optional() }).optional())
    .mutation(({ ctx, input }) => beginTotpEnrollment(ctx.prisma, ctx.actor.userId, input ?? {})),
  confirmTotp: sessionProcedure
    .input(totpCodeInput)
    .mutation(({ ctx, input }) => confirmTotpEnrollment(ctx.prisma, ctx.actor.userId, input.code, ctx.ip)),
  regenerateRecoveryCodes: protectedProcedure.mutation(({ ctx }) =>
    regenerateRecoveryCodes(ctx.prisma, ctx.actor.userId, ctx.ip),
  ),
  /** The signed-in user's live sessions (the account page). */
  sessions: sessionProcedure.query(({ ctx }) =>
    listOwnSessions(ctx.prisma, ctx.actor.userId, ctx.sessionId ?? null),
  ),
  /** Ends one other session of one's own, or every other one ("Sign out elsewhere"). */
  endSessions: sessionProcedure
    .input(endSessionsInput)
    .mutation(({ ctx, input }) =>
      endOwnSessions(
        ctx.prisma,
        ctx.actor,
        { currentSessionId: ctx.sessionId ?? null, sessionId: input.sessionId },
        ctx.ip,
      ),
    ),
  passwordResetStatus: publicProcedure
    .input(z.object({ token: z.string().max(200) }))
    .query(({ ctx, input }) => passwordResetStatus(ctx.prisma, input.token)),
  completePasswordReset: publicProcedure
    .input(passwordResetInput)
    .mutation(({ ctx, input }) => completePasswordReset(ctx.prisma, input, ctx.ip)),
} satisfies TRPCRouterRecord;
