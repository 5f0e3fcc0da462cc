// What an admin can do to the account of a user below them, on the People page and a customer's Users
// tab: a one-time password-reset link to hand over, 2FA reset, sign out everywhere, lock / unlock. Each
// asks first and says what the user will notice.
"use client";
import * as React from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { CopyBlock } from "~/components/copy-block";
import { Button } from "~/components/ui/button";
import { useConfirm } from "~/components/ui/confirm-dialog";
import { Dialog } from "~/components/ui/dialog";
import { formatDateTime } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";

export function UserAccountActions({
  user,
}: {
  user: { userId: string; email: string; isLocked: boolean; has2fa: boolean };
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const confirm = useConfirm();
  const refresh = () => void qc.invalidateQueries();
  const opts = { onSuccess: refresh };
  const lock = useMutation(trpc.people.setUserLocked.mutationOptions(opts));
  const resetTwoFactor = useMutation(trpc.people.resetTwoFactor.mutationOptions(opts));
  const signOut = useMutation(trpc.people.signOutEverywhere.mutationOptions(opts));
  const issueReset = useMutation(trpc.people.issuePasswordReset.mutationOptions());
  const [link, setLink] = React.useState<{ url: string; expiresAt: Date } | null>(null);

  return (
    <div className="flex flex-wrap gap-1.5">
      <Button
        size="sm"
        variant="secondary"
        onClick={() =>
          void confirm({
            title: "Create a password-reset link?",
            description: `You get a link to give ${user.email}. It works once, for one hour; using it signs them out everywhere. An earlier unused link stops working.`,
            confirmLabel: "Create link",
            onConfirm: async () => setLink(await issueReset.mutateAsync({ userId: user.userId })),
          })
        }
      >
        Reset password
      </Button>
      {user.has2fa && (
        <Button
          size="sm"
          variant="secondary"
          onClick={() =>
            void confirm({
              title: "Reset two-factor authentication?",
              description: `${user.email} is signed out and sets up a new authenticator at their next sign-in. Do this only after checking who asks: it removes a protection of their account.`,
              confirmLabel: "Reset 2FA",
              tone: "danger",
              onConfirm: () => resetTwoFactor.mutateAsync({ userId: user.userId }),
            })
          }
        >
          Reset 2FA
        </Button>
      )}
      <Button
        size="sm"
        variant="secondary"
        onClick={() =>
          void confirm({
            title: "Sign out everywhere?",
            description: `Every browser where ${user.email} is signed in is signed out now. They can sign in again.`,
            confirmLabel: "Sign out everywhere",
            onConfirm: () => signOut.mutateAsync({ userId: user.userId }),
          })
        }
      >
        Sign out everywhere
      </Button>
      <Button
        size="sm"
        variant={user.isLocked ? "secondary" : "danger"}
        onClick={() =>
          void confirm(
            user.isLocked
              ? {
                  title: `Unlock ${user.email}?`,
                  description: "They can sign in again with their password and second factor.",
                  confirmLabel: "Unlock",
                  onConfirm: () => lock.mutateAsync({ userId: user.userId, locked: false }),
                }
              : {
                  title: `Lock ${user.email} out?`,
                  description:
                    "They are signed out everywhere and cannot sign in until someone unlocks them. Nothing of theirs is deleted.",
                  confirmLabel: "Lock out",
                  tone: "danger",
                  onConfirm: () => lock.mutateAsync({ userId: user.userId, locked: true }),
                },
          )
        }
      >
        {user.isLocked ? "Unlock" : "Lock"}
      </Button>
      <Dialog open={link !== null} onClose={() => setLink(null)} title="Password-reset link">
        {link && (
          <div className="space-y-4 text-sm">
            <CopyBlock
              label={`Link for ${user.email}`}
              hint={`Works once, until ${formatDateTime(link.expiresAt)}. Send it by a channel you trust.`}
              value={link.url}
              testId="reset-link"
            />
            <div className="flex justify-end">
              <Button onClick={() => setLink(null)}>Done</Button>
            </div>
          </div>
        )}
      </Dialog>
    </div>
  );
}
