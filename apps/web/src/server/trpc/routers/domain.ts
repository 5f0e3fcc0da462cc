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
import { mailingListPostingModes } from "@mailwarden/policy";
import { mailboxSendingLimitsSchema } from "@mailwarden/protocol";
import {
  createDomainInput,
  createMailboxInput,
  resetMailboxPasswordInput,
} from "../../../lib/schemas/domain";
import { protectedProcedure } from "../trpc";

const id = z.string().min(1).max(64);
/** Row 22: what a list says about itself; posting null follows the domain's setting. */
const mailingListFields = {
  name: z.string().trim().max(200).default(""),
  posting: z.enum(mailingListPostingModes).nullable(),
  members: z.array(z.string().trim().max(320)).max(1000),
  moderators: z.array(z.string().trim().max(320)).max(100),
};

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
    .input(
      z.object({
        domainId: id,
        localPart: z.string().trim().min(1, "Enter the part before @.").max(64),
        targets: z.array(z.string().trim().max(320)).min(1, "Add at least one target.").max(50),
      }),
    )
    .mutation(({ ctx, input }) => createAlias(ctx.prisma, ctx.actor, input, ctx.ip)),
  deleteAlias: protectedProcedure
    .input(z.object({ aliasId: id }))
    .mutation(({ ctx, input }) => deleteAlias(ctx.prisma, ctx.actor, input.aliasId, ctx.ip)),
  mailingLists: protectedProcedure
    .input(z.object({ domainId: id }))
    .query(({ ctx, input }) => listMailingLists(ctx.prisma, ctx.actor, input.domainId)),
  createMailingList: protectedProcedure
    .input(
      z.object({
        domainId: id,
        localPart: z.string().trim().min(1, "Enter the part before @.").max(64),
        ...mailingListFields,
      }),
    )
    .mutation(({ ctx, input }) => createMailingList(ctx.prisma, ctx.actor, input, ctx.ip)),
  updateMailingList: protectedProcedure
    .input(z.object({ mailingListId: id, ...mailingListFields }))
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
    .input(
      z.object({
        mailboxId: id,
        enabled: z.boolean(),
        subject: z.string().max(200),
        body: z.string().max(10_000),
        intervalHours: z.number().int().min(1).max(720),
      }),
    )
    .mutation(({ ctx, input }) => setAutoReply(ctx.prisma, ctx.actor, input, ctx.ip)),
  /** Row 20: a mailbox's own sending limits and its domain's, null = the domain's. */
  mailboxSendingLimits: protectedProcedure
    .input(z.object({ mailboxId: id }))
    .query(({ ctx, input }) => getMailboxSendingLimits(ctx.prisma, ctx.actor, input.mailboxId)),
  setMailboxSendingLimits: protectedProcedure
    .input(mailboxSendingLimitsSchema.extend({ mailboxId: id }))
    .mutation(({ ctx, input }) => setMailboxSendingLimits(ctx.prisma, ctx.actor, input, ctx.ip)),
} satisfies TRPCRouterRecord;
