// The provider's staff (provider admins and auditors), the console's own settings, and what an admin may
// do to the account of a user below them (lock, 2FA reset, sign out everywhere, password-reset link).
import type { TRPCRouterRecord } from "@trpc/server";
import {
  addStaffInput,
  changeStaffRoleInput,
  consoleSettingsInput,
  setUserLockedInput,
  userIdInput,
} from "~/lib/schemas/people";
import { logRetentionInput } from "~/lib/schemas/mail-log";
import {
  getConsoleSettings,
  updateConsoleSettings,
  updateLogRetention,
} from "../../services/console-settings";
import {
  addProviderStaff,
  changeStaffRole,
  listProviderStaff,
  removeProviderStaff,
} from "../../services/provider-staff";
import {
  issuePasswordResetLink,
  resetUserTwoFactor,
  setUserLocked,
  signOutUserEverywhere,
} from "../../services/user-accounts";
import { protectedProcedure } from "../trpc";

export const peopleRouter = {
  staff: protectedProcedure.query(({ ctx }) => listProviderStaff(ctx.prisma, ctx.actor)),
  addStaff: protectedProcedure
    .input(addStaffInput)
    .mutation(({ ctx, input }) => addProviderStaff(ctx.prisma, ctx.actor, input, ctx.ip)),
  changeStaffRole: protectedProcedure
    .input(changeStaffRoleInput)
    .mutation(({ ctx, input }) => changeStaffRole(ctx.prisma, ctx.actor, input, ctx.ip)),
  removeStaff: protectedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => removeProviderStaff(ctx.prisma, ctx.actor, input, ctx.ip)),
  consoleSettings: protectedProcedure.query(({ ctx }) => getConsoleSettings(ctx.prisma, ctx.actor)),
  updateConsoleSettings: protectedProcedure
    .input(consoleSettingsInput)
    .mutation(({ ctx, input }) => updateConsoleSettings(ctx.prisma, ctx.actor, input, ctx.ip)),
  updateLogRetention: protectedProcedure
    .input(logRetentionInput)
    .mutation(({ ctx, input }) => updateLogRetention(ctx.prisma, ctx.actor, input, ctx.ip)),
  setUserLocked: protectedProcedure
    .input(setUserLockedInput)
    .mutation(({ ctx, input }) => setUserLocked(ctx.prisma, ctx.actor, input, ctx.ip)),
  resetTwoFactor: protectedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => resetUserTwoFactor(ctx.prisma, ctx.actor, input, ctx.ip)),
  signOutEverywhere: protectedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => signOutUserEverywhere(ctx.prisma, ctx.actor, input, ctx.ip)),
  issuePasswordReset: protectedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => issuePasswordResetLink(ctx.prisma, ctx.actor, input, ctx.ip)),
} satisfies TRPCRouterRecord;
