// A new-password field that shows the policy it must meet, checked live in the browser with the same
// rules the server enforces (@mailwarden/policy).
"use client";
import * as React from "react";
import {
  checkPassword,
  describePasswordPolicy,
  type PasswordContext,
  type PasswordPolicy,
} from "@mailwarden/policy";
import { Field, Input } from "./ui/input";

export function PasswordInput({
  id,
  label = "Password",
  value,
  onChange,
  policy,
  context,
  error,
}: {
  id: string;
  label?: string;
  value: string;
  onChange: (value: string) => void;
  policy: PasswordPolicy;
  context: PasswordContext;
  error?: string | null;
}) {
  const problems = value ? checkPassword(value, policy, context) : [];
  return (
    <Field
      label={label}
      htmlFor={id}
      error={error}
      hint={
        <>
          <span>Required: {describePasswordPolicy(policy)}.</span>
          {problems.length > 0 && (
            <ul className="mt-1 list-disc pl-4 text-amber-700" data-testid="password-problems">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          {value && problems.length === 0 && (
            <span className="block text-emerald-700">Meets the policy.</span>
          )}
        </>
      }
    >
      <Input
        id={id}
        type="password"
        autoComplete="new-password"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}
