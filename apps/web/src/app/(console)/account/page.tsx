// The signed-in user's account: password (checked against the password policy), 2FA state and new
// recovery codes, and the browsers where they are signed in.
"use client";
import Link from "next/link";
import { useMutation, useQuery } from "@tanstack/react-query";
import { ChangePasswordCard } from "~/components/console/change-password-card";
import { RecoveryCodes } from "~/components/console/recovery-codes";
import { SessionsCard } from "~/components/console/sessions-card";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardHeader, PageHeader } from "~/components/ui/card";
import { roleLabel } from "~/lib/format";
import { errorMessage, useTRPC } from "~/lib/trpc";

export default function AccountPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const regenerate = useMutation(trpc.auth.regenerateRecoveryCodes.mutationOptions());
  if (!me.data) return <p className="text-sm text-slate-500">Loading…</p>;
  return (
    <>
      <PageHeader
        title="Account"
        description={`${me.data.name} · ${me.data.email} · ${roleLabel(me.data.providerRole ?? me.data.memberships[0]?.role)}`}
      />
      <div className="space-y-6">
        <ChangePasswordCard
          email={me.data.email}
          policy={me.data.passwordPolicy}
          weakProblems={me.data.weakPasswordProblems}
        />
        <Card>
          <CardHeader
            title="Two-factor authentication"
            action={me.data.totpEnabled ? <Badge tone="green">On</Badge> : <Badge tone="amber">Off</Badge>}
          />
          <div className="space-y-3 p-5 text-sm">
            {me.data.totpEnabled ? (
              <>
                <p className="text-slate-600">Lost your recovery codes? New ones replace all the old ones.</p>
                {regenerate.error && <Alert tone="error">{errorMessage(regenerate.error)}</Alert>}
                {regenerate.data ? (
                  <RecoveryCodes codes={regenerate.data} email={me.data.email} />
                ) : (
                  <Button variant="secondary" busy={regenerate.isPending} onClick={() => regenerate.mutate()}>
                    Generate new recovery codes
                  </Button>
                )}
              </>
            ) : (
              <Link className="font-medium text-brand-600 hover:underline" href="/two-factor">
                Set up two-factor authentication →
              </Link>
            )}
          </div>
        </Card>
        <SessionsCard />
      </div>
    </>
  );
}
