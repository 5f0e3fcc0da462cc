// Customers (tenants) and their console users.
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import {
  createCustomer,
  deleteCustomer,
  getCustomer,
  listCustomers,
  updateCustomer,
} from "../../services/customers";
import { createCustomerUser, listCustomerUsers, removeCustomerUser } from "../../services/users";
import { addCustomerUserInput, createCustomerInput } from "../../../lib/schemas/customer";
import { protectedProcedure } from "../trpc";

const id = z.string().min(1).max(64);

export const customerRouter = {
  list: protectedProcedure.query(({ ctx }) => listCustomers(ctx.prisma, ctx.actor)),
  get: protectedProcedure
    .input(z.object({ customerId: id }))
    .query(({ ctx, input }) => getCustomer(ctx.prisma, ctx.actor, input.customerId)),
  create: protectedProcedure
    .input(createCustomerInput)
    .mutation(({ ctx, input }) => createCustomer(ctx.prisma, ctx.actor, input, ctx.ip)),
  update: protectedProcedure
    .input(
      z.object({
        customerId: id,
        name: z.string().trim().min(1).max(100).optional(),
        require2fa: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateCustomer(ctx.prisma, ctx.actor, input, ctx.ip)),
  delete: protectedProcedure
    .input(z.object({ customerId: id }))
    .mutation(({ ctx, input }) => deleteCustomer(ctx.prisma, ctx.actor, input.customerId, ctx.ip)),
  users: protectedProcedure
    .input(z.object({ customerId: id }))
    .query(({ ctx, input }) => listCustomerUsers(ctx.prisma, ctx.actor, input.customerId)),
  addUser: protectedProcedure
    .input(addCustomerUserInput)
    .mutation(({ ctx, input }) => createCustomerUser(ctx.prisma, ctx.actor, input, ctx.ip)),
  removeUser: protectedProcedure
    .input(z.object({ customerId: id, userId: id }))
    .mutation(({ ctx, input }) => removeCustomerUser(ctx.prisma, ctx.actor, input, ctx.ip)),
} satisfies TRPCRouterRecord;
