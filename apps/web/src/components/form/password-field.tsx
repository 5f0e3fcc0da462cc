// A new-password field inside a schema form: the policy it must meet and what the typed password still
// breaks show live under it (the same @mailwarden/policy rules the server enforces), and the schema's or
// server's message below that.
"use client";
import * as React from "react";
import { useWatch, type FieldPath, type FieldValues } from "react-hook-form";
import {
  checkPassword,
  describePasswordPolicy,
  type PasswordContext,
  type PasswordPolicy,
} from "@mailwarden/policy";
import { Input } from "~/components/ui/input";
import { FieldFrame, useFieldControl } from "./form-field";
import type { ZodForm } from "./use-zod-form";

export function PasswordPolicyHint({
  password,
  policy,
  context,
}: {
  password: string;
  policy: PasswordPolicy;
  context: PasswordContext;
}) {
  const problems = password ? checkPassword(password, policy, context) : [];
  return (
    <>
      <span>Required: {describePasswordPolicy(policy)}.</span>
      {problems.length > 0 && (
        <ul className="mt-1 list-disc pl-4 text-amber-700" data-testid="password-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {password && problems.length === 0 && <span className="block text-emerald-700">Meets the policy.</span>}
    </>
  );
}

export function FormPasswordField<T extends FieldValues, TOut>({
  form,
  name,
  label = "Password",
  policy,
  context,
  id,
  autoComplete = "new-password",
}: {
  form: ZodForm<T, TOut>;
  name: FieldPath<T>;
  label?: string;
  /** Without a policy (e.g. the current password) no hint is shown. */
  policy?: PasswordPolicy;
  context?: PasswordContext;
  id?: string;
  autoComplete?: string;
}) {
  const password = useWatch({ control: form.control, name }) as unknown;
  const { control, error } = useFieldControl(form, name, { id, hasHint: Boolean(policy) });
  return (
    <FieldFrame
      id={control.id}
      label={label}
      error={error}
      hint={
        policy ? (
          <PasswordPolicyHint
            password={typeof password === "string" ? password : ""}
            policy={policy}
            context={context ?? {}}
          />
        ) : undefined
      }
    >
      <Input type="password" autoComplete={autoComplete} {...control} />
    </FieldFrame>
  );
}
