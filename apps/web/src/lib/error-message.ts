// What a person sees when a call fails. The server's error formatter (server/trpc/trpc.ts) sends input
// validation failures as `data.zodError` ({ formErrors, fieldErrors }); this turns any failure into one
// plain sentence and never lets JSON, an issue code or a stack through.

export interface FlatZodError {
  formErrors: string[];
  fieldErrors: Record<string, string[] | undefined>;
}

/** What the error formatter adds to every tRPC error's `data`. */
export interface ServerErrorData {
  code?: string;
  httpStatus?: number;
  zodError?: FlatZodError | null;
  /** A service error's list of reasons (e.g. each password rule broken). */
  details?: string[] | null;
  /** The input field a service error is about, when it names one. */
  field?: string | null;
}

export const CHECK_FIELDS = "Check the highlighted fields.";
const SOMETHING_WRONG = "Something went wrong.";

export function serverErrorData(error: unknown): ServerErrorData | null {
  if (typeof error !== "object" || !error || !("data" in error)) return null;
  const data = (error as { data?: unknown }).data;
  return typeof data === "object" && data ? (data as ServerErrorData) : null;
}

/** The first message of a flattened zod error, field messages first. */
export function firstZodMessage(zodError: FlatZodError): string | null {
  for (const messages of Object.values(zodError.fieldErrors)) if (messages?.[0]) return messages[0];
  return zodError.formErrors[0] ?? null;
}

/** A message is shown only when it reads as words, not as serialized data or a stack. */
function isPlainSentence(message: string): boolean {
  const text = message.trim();
  if (!text) return false;
  if (text.startsWith("{") || text.startsWith("[")) return false;
  if (/"code"\s*:|\n\s+at /.test(text)) return false;
  return true;
}

/** The message to show a user for a failed call. */
export function errorMessage(error: unknown): string | null {
  if (!error) return null;
  const data = serverErrorData(error);
  if (data?.zodError) return firstZodMessage(data.zodError) ?? CHECK_FIELDS;
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  if (isPlainSentence(message)) return message;
  return data?.code === "BAD_REQUEST" ? CHECK_FIELDS : SOMETHING_WRONG;
}

/** A failed call split into messages for named fields and one message for the form as a whole. */
export function splitServerError(
  error: unknown,
  fieldNames: readonly string[],
  options: { detailsField?: string } = {},
): { fieldErrors: Record<string, string>; formError: string | null } {
  const data = serverErrorData(error);
  const fieldErrors: Record<string, string> = {};
  const known = new Set(fieldNames);
  if (data?.zodError) {
    const leftover: string[] = [...data.zodError.formErrors];
    for (const [field, messages] of Object.entries(data.zodError.fieldErrors)) {
      if (!messages?.[0]) continue;
      if (known.has(field)) fieldErrors[field] = messages[0];
      else leftover.push(messages[0]);
    }
    const hasFieldErrors = Object.keys(fieldErrors).length > 0;
    return { fieldErrors, formError: leftover[0] ?? (hasFieldErrors ? null : CHECK_FIELDS) };
  }
  const message = errorMessage(error);
  const field =
    data?.field && known.has(data.field)
      ? data.field
      : options.detailsField && data?.details?.length && known.has(options.detailsField)
        ? options.detailsField
        : null;
  if (field && message) return { fieldErrors: { [field]: message }, formError: null };
  return { fieldErrors, formError: message };
}
