// tRPC setup and the procedure builders. `protectedProcedure` is the one door to tenant data: it
// resolves the actor (and refuses a session still owing its 2FA enrollment); routers then scope every
// query with the where-builders in ../access.ts.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { CHECK_FIELDS, firstZodMessage } from "../../lib/error-message";
import type { Db } from "@mailwarden/db";
import { loadActor } from "../auth/actor";
import { toTRPCError } from "../errors";
import { logger } from "../logger";

export interface TrpcContext {
  prisma: Db;
  userId: string | null;
  /** The server-side session of this request (null in tests and server-side callers). */
  sessionId?: string | null;
  ip: string | null;
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  // A failed input check becomes `data.zodError` ({ formErrors, fieldErrors }) for the form to put under
  // its fields, and its message one plain sentence instead of zod's issue list as JSON.
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
    // An AppError's reasons and field (see ../errors.ts); read by shape so a second copy of the class
    // in another bundle still counts.
    const cause = error.cause as { details?: unknown; field?: unknown } | undefined;
    return {
      ...shape,
      message: zodError ? (firstZodMessage(zodError) ?? CHECK_FIELDS) : shape.message,
      data: {
        ...shape.data,
        zodError,
        details: Array.isArray(cause?.details) ? (cause.details as string[]) : null,
        field: typeof cause?.field === "string" ? cause.field : null,
        stack: undefined,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Maps service errors (AppError, Prisma) to tRPC errors in one place. */
const errorMapping = t.middleware(async ({ next, path, type }) => {
  const result = await next();
  if (!result.ok) {
    // tRPC's own errors (input validation, UNAUTHORIZED...) pass through; thrown service errors arrive
    // wrapped as INTERNAL_SERVER_ERROR with the original as cause.
    if (result.error.code !== "INTERNAL_SERVER_ERROR") throw result.error;
    const mapped = toTRPCError(result.error.cause ?? result.error);
    if (mapped.code === "INTERNAL_SERVER_ERROR")
      logger.error({ path, type, err: result.error.cause ?? result.error }, "procedure failed");
    throw mapped;
  }
  return result;
});

export const publicProcedure = t.procedure.use(errorMapping);

/** Signed in, 2FA state loaded; may still owe 2FA enrollment (used by the enrollment screens only). */
export const sessionProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.userId) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in." });
  const state = await loadActor(ctx.prisma, ctx.userId);
  if (!state) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in." });
  return next({ ctx: { ...ctx, userId: ctx.userId, actorState: state, actor: state.actor } });
});

/** Signed in with every required factor: the door to tenant data. */
export const protectedProcedure = sessionProcedure.use(async ({ ctx, next }) => {
  if (ctx.actorState.needs2faSetup) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Set up two-factor authentication first." });
  }
  return next();
});
