// One mailbox's own sending limits (outbound throttling "+ per mailbox"): messages per hour and per day,
// each empty to follow the domain's effective limit, shown as the placeholder. Only stricter values are
// accepted; the server says which domain limit a looser one would break. The console's form pattern over
// the procedure's own schema (lib/schemas/mail.ts).
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Form, FormError, FormField, useZodForm } from "~/components/form";
import { Alert } from "../ui/alert";
import { Dialog, DialogActions } from "../ui/dialog";
import { setMailboxSendingLimitsInput } from "~/lib/schemas/mail";
import { errorMessage, useTRPC, type RouterOutputs } from "~/lib/trpc";

type Limits = RouterOutputs["domain"]["mailboxSendingLimits"];

const fields = [
  { key: "messagesPerHour", label: "Messages per hour", unit: "per hour" },
  { key: "messagesPerDay", label: "Messages per day", unit: "per day" },
] as const;

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
  const current = useQuery(trpc.domain.mailboxSendingLimits.queryOptions({ mailboxId }));
  return (
    <Dialog open onClose={onClose} title={`Sending limits of ${address}`}>
      {current.error && <Alert tone="error">{errorMessage(current.error)}</Alert>}
      {current.data && <LimitsForm mailboxId={mailboxId} limits={current.data} onClose={onClose} />}
    </Dialog>
  );
}

/** Mounted once the limits are loaded, so the form starts from the mailbox's own. */
function LimitsForm({
  mailboxId,
  limits,
  onClose,
}: {
  mailboxId: string;
  limits: Limits;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const form = useZodForm(setMailboxSendingLimitsInput, {
    defaultValues: {
      mailboxId,
      messagesPerHour: limits.own.messagesPerHour === null ? "" : String(limits.own.messagesPerHour),
      messagesPerDay: limits.own.messagesPerDay === null ? "" : String(limits.own.messagesPerDay),
    },
  });
  const save = useMutation(
    trpc.domain.setMailboxSendingLimits.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.domain.mailboxSendingLimits.queryKey({ mailboxId }) });
        // the domain page marks mailboxes that have limits of their own
        void qc.invalidateQueries({ queryKey: trpc.domain.get.pathKey() });
        onClose();
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  return (
    <Form form={form} onSubmit={(values) => save.mutate(values)}>
      <FormError form={form} />
      <p className="text-sm text-slate-600">
        Leave a field empty to follow the domain&apos;s limit. A mailbox&apos;s own limit can only be lower
        than the domain&apos;s; past it, mail is delayed or refused as the domain&apos;s policy says.
      </p>
      {fields.map(({ key, label, unit }) => (
        <FormField
          key={key}
          form={form}
          name={key}
          id={`sending-limit-${key}`}
          label={label}
          hint={`Domain's limit: ${limits.domain[key]} ${unit}.`}
          type="number"
          inputMode="numeric"
          min={1}
          max={limits.domain[key]}
          step={1}
          placeholder={String(limits.domain[key])}
        />
      ))}
      <DialogActions submitLabel="Save" busy={save.isPending} onCancel={onClose} />
    </Form>
  );
}
