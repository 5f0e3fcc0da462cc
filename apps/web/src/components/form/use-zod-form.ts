// The console's one way to hold a form: react-hook-form checked by the SAME zod schema the tRPC
// procedure takes (from ~/lib/schemas), so the browser and the server give the same plain messages.
"use client";
import {
  useForm,
  type FieldValues,
  type Resolver,
  type UseFormProps,
  type UseFormReturn,
} from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import type { z } from "zod";
import { splitServerError } from "~/lib/error-message";

export type ZodObjectSchema = z.ZodObject;

/** The form's values as typed (the schema's input) and as submitted (its output). */
export type ZodForm<TIn extends FieldValues = FieldValues, TOut = TIn> = UseFormReturn<TIn, unknown, TOut> & {
  /** The schema, so fields can read their limits (required, maxLength, type) from it. */
  schema: ZodObjectSchema;
  /** Puts a failed call's messages under their fields, the rest above the form (see <FormError>). */
  setServerError: (error: unknown, options?: { detailsField?: string }) => void;
};

export function useZodForm<S extends ZodObjectSchema>(
  schema: S,
  options: Omit<UseFormProps<z.input<S> & FieldValues, unknown, z.output<S>>, "resolver"> = {},
): ZodForm<z.input<S> & FieldValues, z.output<S>> {
  const form = useForm<z.input<S> & FieldValues, unknown, z.output<S>>({
    // Messages appear on the first submit, then follow every keystroke. (Not on leaving a field: a
    // message appearing on blur moves the button being clicked, and the click is lost.)
    mode: "onSubmit",
    reValidateMode: "onChange",
    ...options,
    resolver: zodResolver(schema) as Resolver<z.input<S> & FieldValues, unknown, z.output<S>>,
  });
  return Object.assign(form, {
    schema,
    setServerError: (error: unknown, opts?: { detailsField?: string }) =>
      setServerError(form, Object.keys(schema.shape), error, opts),
  });
}

/** The root error key <FormError> shows. */
export const FORM_ERROR = "root.server" as const;

export function setServerError<T extends FieldValues>(
  form: UseFormReturn<T, unknown, unknown>,
  fieldNames: readonly string[],
  error: unknown,
  options?: { detailsField?: string },
) {
  const { fieldErrors, formError } = splitServerError(error, fieldNames, options);
  form.clearErrors(FORM_ERROR);
  let focused = false;
  for (const [name, message] of Object.entries(fieldErrors)) {
    // The names come from the schema's own keys, so they are paths of T.
    form.setError(
      name as Parameters<typeof form.setError>[0],
      { type: "server", message },
      {
        shouldFocus: !focused,
      },
    );
    focused = true;
  }
  if (formError) form.setError(FORM_ERROR, { type: "server", message: formError });
}
