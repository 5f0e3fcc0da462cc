// Domains and their mailboxes, aliases and mailing lists.
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { createAlias, deleteAlias, listAliases } from "../../services/aliases";
import { getAutoReply, setAutoReply } from "../../services/auto-replies";
import { getDkimRecord } from "../../services/dkim-records";
import { createDomain, deleteDomain, getDomain, listDomains } from "../../services/domains";
import {
  createMailingList,
  deleteMailingList,
  listMailingLists,
  resumeListMember,
  updateMailingList,
} from "../../services/mailing-lists";
import {
  createMailbox,
  deleteMailbox,
  getMailboxSendingLimits,
  mailboxPasswordRules,
  resetMailboxPassword,
  setMailboxSendingLimits,
} from "../../services/mailboxes";
import {
  createDomainInput,
  createMailboxInput,
  resetMailboxPasswordInput,
} from "../../../lib/schemas/domain";
import {
  createAliasInput,
  createMailingListInput,
  setAutoReplyInput,
  setMailboxSendingLimitsInput,
  updateMailingListInput,
} from "../../../lib/schemas/mail";
import { protectedProcedure } from "../trpc";

const id = z.string().min(1).max(64);

export const domainRouter = {
  list: protectedProcedure
    .input(z.object({ customerId: id.optional() }).default({}))
    .query(({ ctx, input }) => listDomains(ctx.prisma, ctx.actor, input)),
  get: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => getDomain(ctx.prisma, ctx.actor, input.domainId)),
  create: protectedProcedure
    .input(createDomainInput)
    .mutation(({ ctx, input }) => createDomain(ctx.prisma, ctx.actor, input, ctx.ip)),
  delete: protectedProcedure
    .input(z.object({ domainId: id }))
    .mutation(({ ctx, input }) => deleteDomain(ctx.prisma, ctx.actor, input.domainId, ctx.ip)),
  dkimRecord: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => getDkimRecord(ctx.prisma, ctx.actor, input.domainId)),
  passwordRules: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => mailboxPasswordRules(ctx.prisma, ctx.actor, input.domainId)),
  createMailbox: protectedProcedure
    .input(createMailboxInput)
    .mutation(({ ctx, input }) => createMailbox(ctx.prisma, ctx.actor, input, ctx.ip)),
  resetMailboxPassword: protectedProcedure
    .input(resetMailboxPasswordInput)
    .mutation(({ ctx, input }) => resetMailboxPassword(ctx.prisma, ctx.actor, input, ctx.ip)),
  deleteMailbox: protectedProcedure
    .input(z.object({ mailboxId: id }))
    .mutation(({ ctx, input }) => deleteMailbox(ctx.prisma, ctx.actor, input.mailboxId, ctx.ip)),
  aliases: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => listAliases(ctx.prisma, ctx.actor, input.domainId)),
  createAlias: protectedProcedure
    .input(createAliasInput)
    .mutation(({ ctx, input }) => createAlias(ctx.prisma, ctx.actor, input, ctx.ip)),
  deleteAlias: protectedProcedure
    .input(z.object({ aliasId: id }))
    .mutation(({ ctx, input }) => deleteAlias(ctx.prisma, ctx.actor, input.aliasId, ctx.ip)),
  mailingLists: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => listMailingLists(ctx.prisma, ctx.actor, input.domainId)),
  createMailingList: protectedProcedure
    .input(createMailingListInput)
    .mutation(({ ctx, input }) => createMailingList(ctx.prisma, ctx.actor, input, ctx.ip)),
  updateMailingList: protectedProcedure
    .input(updateMailingListInput)
    .mutation(({ ctx, input }) => updateMailingList(ctx.prisma, ctx.actor, input, ctx.ip)),
  deleteMailingList: protectedProcedure
    .input(z.object({ mailingListId: id }))
    .mutation(({ ctx, input }) => deleteMailingList(ctx.prisma, ctx.actor, input.mailingListId, ctx.ip)),
  /** Row 22: copies go to a member again that the agents paused after bounces. */
  resumeListMember: protectedProcedure
    .input(z.object({ mailingListId: id, address: z.string().trim().min(1).max(320) }))
    .mutation(({ ctx, input }) => resumeListMember(ctx.prisma, ctx.actor, input, ctx.ip)),
  autoReply: protectedProcedure
    .input(z.object({ mailboxId: id }))
    .query(({ ctx, input }) => getAutoReply(ctx.prisma, ctx.actor, input.mailboxId)),
  setAutoReply: protectedProcedure
    .input(setAutoReplyInput)
    .mutation(({ ctx, input }) => setAutoReply(ctx.prisma, ctx.actor, input, ctx.ip)),
  /** Row 20: a mailbox's own sending limits and its domain's, null = the domain's. */
  mailboxSendingLimits: protectedProcedure
    .input(z.object({ mailboxId: id }))
    .query(({ ctx, input }) => getMailboxSendingLimits(ctx.prisma, ctx.actor, input.mailboxId)),
  setMailboxSendingLimits: protectedProcedure
    .input(setMailboxSendingLimitsInput)
    .mutation(({ ctx, input }) => setMailboxSendingLimits(ctx.prisma, ctx.actor, input, ctx.ip)),
} satisfies TRPCRouterRecord;
