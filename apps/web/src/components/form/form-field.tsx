// The pieces every console form is built from: <Form> (noValidate; the schema speaks, not the browser's
// bubbles), <FormField> (label, input, hint, and the field's message under it, wired with aria-invalid and
// aria-describedby), <FormCheckbox>, and <FormError> for what belongs to no single field.
"use client";
import * as React from "react";
import type { FieldPath, FieldValues, UseFormRegisterReturn } from "react-hook-form";
import { Alert } from "~/components/ui/alert";
import { Input } from "~/components/ui/input";
import { cn } from "~/lib/cn";
import { fieldConstraints, type FieldConstraints } from "./schema-field";
import { FORM_ERROR, type ZodForm } from "./use-zod-form";

export function Form<T extends FieldValues, TOut>({
  form,
  onSubmit,
  className,
  children,
  ...props
}: {
  form: ZodForm<T, TOut>;
  onSubmit: (values: TOut) => unknown;
  className?: string;
  children: React.ReactNode;
} & Omit<React.FormHTMLAttributes<HTMLFormElement>, "onSubmit" | "children">) {
  return (
    <form
      noValidate
      className={cn("space-y-4", className)}
      onSubmit={(e) => {
        form.clearErrors(FORM_ERROR);
        void form.handleSubmit(onSubmit)(e);
      }}
      {...props}
    >
      {children}
    </form>
  );
}

/** The message of one top-level field, if any. */
function fieldError<T extends FieldValues, TOut>(
  form: ZodForm<T, TOut>,
  name: FieldPath<T>,
): string | undefined {
  const message = (form.formState.errors as Record<string, { message?: unknown } | undefined>)[name]?.message;
  return typeof message === "string" ? message : undefined;
}

/** What a custom control (select, textarea, password) spreads onto itself. */
export type FieldControl = UseFormRegisterReturn & {
  id: string;
  required?: boolean;
  maxLength?: number;
  "aria-invalid": boolean;
  "aria-describedby"?: string;
};

/** Label, control, hint and message of one field; the message comes from the schema or the server. */
export function FieldFrame({
  id,
  label,
  hint,
  error,
  className,
  children,
}: {
  id: string;
  label: React.ReactNode;
  hint?: React.ReactNode;
  error?: string;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <div className={cn("w-full space-y-1.5", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      {hint && (
        <div id={`${id}-hint`} className="text-xs text-slate-500">
          {hint}
        </div>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs text-red-600" role="alert" data-field-error>
          {error}
        </p>
      )}
    </div>
  );
}

/** register() plus the attributes the schema implies and the accessibility wiring. */
export function useFieldControl<T extends FieldValues, TOut>(
  form: ZodForm<T, TOut>,
  name: FieldPath<T>,
  options: { id?: string; hasHint?: boolean } = {},
): { control: FieldControl; error?: string; constraints: FieldConstraints } {
  const id = options.id ?? `field-${name}`;
  const constraints = fieldConstraints(form.schema, name);
  const error = fieldError(form, name);
  const message = typeof error === "string" ? error : undefined;
  const describedBy = [options.hasHint && `${id}-hint`, message && `${id}-error`].filter(Boolean).join(" ");
  return {
    constraints,
    error: message,
    control: {
      ...form.register(name),
      id,
      // Only what the schema says, so a page's own attribute is not overwritten by an undefined.
      ...(constraints.required && { required: true }),
      ...(constraints.maxLength !== undefined && { maxLength: constraints.maxLength }),
      "aria-invalid": Boolean(message),
      ...(describedBy && { "aria-describedby": describedBy }),
    },
  };
}

/**
 * One field: `<FormField form={form} name="email" label="Email" autoComplete="username" />` renders an
 * <Input>; pass a function as children for another control:
 * `<FormField form={form} name="role" label="Role">{(control) => <Select {...control}>…</Select>}</FormField>`.
 */
export function FormField<T extends FieldValues, TOut>({
  form,
  name,
  label,
  hint,
  id,
  className,
  children,
  ...inputProps
}: {
  form: ZodForm<T, TOut>;
  name: FieldPath<T>;
  label: React.ReactNode;
  hint?: React.ReactNode;
  id?: string;
  className?: string;
  children?: (control: FieldControl) => React.ReactNode;
} & Omit<React.InputHTMLAttributes<HTMLInputElement>, "name" | "id" | "children" | "form">) {
  const { control, error, constraints } = useFieldControl(form, name, { id, hasHint: Boolean(hint) });
  return (
    <FieldFrame id={control.id} label={label} hint={hint} error={error} className={className}>
      {children ? (
        children(control)
      ) : (
        <Input type={constraints.type ?? "text"} {...inputProps} {...control} />
      )}
    </FieldFrame>
  );
}

/** A yes/no field, label beside the box. */
export function FormCheckbox<T extends FieldValues, TOut>({
  form,
  name,
  label,
  hint,
  id,
}: {
  form: ZodForm<T, TOut>;
  name: FieldPath<T>;
  label: React.ReactNode;
  hint?: React.ReactNode;
  id?: string;
}) {
  const fieldId = id ?? `field-${name}`;
  const error = fieldError(form, name);
  return (
    <div className="space-y-1">
      <label htmlFor={fieldId} className="flex items-start gap-2 text-sm text-slate-700">
        <input
          id={fieldId}
          type="checkbox"
          className="mt-0.5 size-4 rounded border-slate-300"
          aria-describedby={hint ? `${fieldId}-hint` : undefined}
          {...form.register(name)}
        />
        <span>{label}</span>
      </label>
      {hint && (
        <p id={`${fieldId}-hint`} className="pl-6 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {typeof error === "string" && (
        <p className="pl-6 text-xs text-red-600" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** The form's own message (server errors no field claims), shown above the fields. */
export function FormError<T extends FieldValues, TOut>({ form }: { form: ZodForm<T, TOut> }) {
  const message = form.formState.errors.root?.server?.message;
  if (!message) return null;
  return (
    <Alert tone="error" data-form-error>
      {message}
    </Alert>
  );
}
