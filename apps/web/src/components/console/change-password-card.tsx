// The signed-in user changes their own console password: the current one is required, the new one is
// checked live against the policy that applies to them (row 14) and again on the server. A password
// that failed the policy at the last sign-in (the policy was tightened since it was set) is flagged here.
"use client";
import * as React from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { PasswordPolicy } from "@mailwarden/policy";
import { PasswordInput } from "~/components/password-input";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader } from "~/components/ui/card";
import { Field, Input } from "~/components/ui/input";
import { errorMessage, useTRPC } from "~/lib/trpc";

export function ChangePasswordCard({
  email,
  policy,
  weakProblems,
}: {
  email: string;
  policy: PasswordPolicy;
  weakProblems: string[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [current, setCurrent] = React.useState("");
  const [next, setNext] = React.useState("");
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: async () => {
        setCurrent("");
        setNext("");
        await queryClient.invalidateQueries(trpc.auth.me.queryFilter());
      },
    }),
  );
  const [userName, domainName] = email.split("@");
  return (
    <Card>
      <CardHeader
        title="Password"
        action={weakProblems.length > 0 ? <Badge tone="amber">Below policy</Badge> : undefined}
      />
      <form
        className="space-y-4 p-5 text-sm"
        onSubmit={(event) => {
          event.preventDefault();
          change.mutate({ currentPassword: current, newPassword: next });
        }}
      >
        {weakProblems.length > 0 && (
          <Alert tone="warning">
            Your password no longer meets the password policy: {weakProblems.join(" ")} Change it below.
          </Alert>
        )}
        {change.isSuccess && <Alert tone="success">Password changed.</Alert>}
        {change.error && <Alert tone="error">{errorMessage(change.error)}</Alert>}
        <Field label="Current password" htmlFor="current-password">
          <Input
            id="current-password"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(event) => setCurrent(event.target.value)}
          />
        </Field>
        <PasswordInput
          id="new-password"
          label="New password"
          value={next}
          onChange={setNext}
          policy={policy}
          context={{ userName, domainName }}
        />
        <Button type="submit" busy={change.isPending} disabled={!current || !next}>
          Change password
        </Button>
      </form>
    </Card>
  );
}
