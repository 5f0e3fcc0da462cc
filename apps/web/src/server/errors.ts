// Services throw one AppError(code); this is the single place codes become tRPC errors.
import { TRPCError } from "@trpc/server";

export type AppErrorCode =
  "NOT_FOUND" | "FORBIDDEN" | "BAD_REQUEST" | "CONFLICT" | "UNAUTHORIZED" | "TOO_MANY_REQUESTS";

export class AppError extends Error {
  constructor(
    public readonly code: AppErrorCode,
    message: string,
    public readonly details?: string[],
    /** The input field the error is about, so a form can show it under that field. */
    public readonly field?: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof AppError)
    return new TRPCError({ code: error.code, message: error.message, cause: error });
  // Prisma unique violations are conflicts the user can fix.
  if (
    typeof error === "object" &&
    error &&
    "code" in error &&
    (error as { code: unknown }).code === "P2002"
  ) {
    return new TRPCError({ code: "CONFLICT", message: "That name is already taken." });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong.", cause: error });
}
