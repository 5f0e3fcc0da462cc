// One mailbox's own sending limits (row 20, "+ per mailbox"): messages per hour and per day, each
// empty to follow the domain's effective limit, shown as the placeholder. Only stricter values are
// accepted; the server says which domain limit a looser one would break.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "../ui/alert";
import { Dialog, DialogActions } from "../ui/dialog";
import { Field, Input } from "../ui/input";
import { errorMessage, useTRPC } from "~/lib/trpc";

interface Form {
  messagesPerHour: string;
  messagesPerDay: string;
}

const fields = [
  { key: "messagesPerHour", label: "Messages per hour" },
  { key: "messagesPerDay", label: "Messages per day" },
] as const;

/** Empty = null: the domain's limit applies. */
const limitOf = (text: string) => (text.trim() === "" ? null : Number(text));

export function SendingLimitsDialog({
  mailboxId,
  address,
  onClose,
}: {
  mailboxId: string;
  address: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useQuery(trpc.domain.mailboxSendingLimits.queryOptions({ mailboxId }));
  const [form, setForm] = React.useState<Form | null>(null);
  const save = useMutation(
    trpc.domain.setMailboxSendingLimits.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.domain.mailboxSendingLimits.queryKey({ mailboxId }) });
        // the domain page marks mailboxes that have limits of their own
        void qc.invalidateQueries({ queryKey: trpc.domain.get.pathKey() });
        onClose();
      },
    }),
  );
  const own = current.data?.own;
  const shown: Form | null =
    form ??
    (own
      ? {
          messagesPerHour: String(own.messagesPerHour ?? ""),
          messagesPerDay: String(own.messagesPerDay ?? ""),
        }
      : null);
  const domain = current.data?.domain;

  return (
    <Dialog open onClose={onClose} title={`Sending limits of ${address}`}>
      {current.error && <Alert tone="error">{errorMessage(current.error)}</Alert>}
      {shown && domain && (
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({
              mailboxId,
              messagesPerHour: limitOf(shown.messagesPerHour),
              messagesPerDay: limitOf(shown.messagesPerDay),
            });
          }}
        >
          {save.error && <Alert tone="error">{errorMessage(save.error)}</Alert>}
          <p className="text-sm text-slate-600">
            Leave a field empty to follow the domain&apos;s limit. A mailbox&apos;s own limit can only be
            lower than the domain&apos;s; past it, mail is delayed or refused as the domain&apos;s policy
            says.
          </p>
          {fields.map(({ key, label }) => (
            <Field
              key={key}
              label={label}
              htmlFor={`sending-limit-${key}`}
              hint={`Domain's limit: ${domain[key]}.`}
            >
              <Input
                id={`sending-limit-${key}`}
                type="number"
                min={1}
                max={domain[key]}
                placeholder={String(domain[key])}
                value={shown[key]}
                onChange={(e) => setForm({ ...shown, [key]: e.target.value })}
              />
            </Field>
          ))}
          <DialogActions submitLabel="Save" busy={save.isPending} onCancel={onClose} />
        </form>
      )}
    </Dialog>
  );
}
