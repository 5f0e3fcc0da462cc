// One mailbox's auto-reply (vacation message): on/off, subject, text and how often one sender is answered.
// Whether it is sent at all is also up to the domain's auto-responder policy. The console's form pattern
// over the procedure's own schema (lib/schemas/mail.ts): each message under its field.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Form, FormCheckbox, FormError, FormField, useZodForm } from "~/components/form";
import { Alert } from "../ui/alert";
import { Dialog, DialogActions } from "../ui/dialog";
import { setAutoReplyInput } from "~/lib/schemas/mail";
import { errorMessage, useTRPC, type RouterOutputs } from "~/lib/trpc";

type AutoReply = RouterOutputs["domain"]["autoReply"];

export function AutoReplyDialog({
  mailboxId,
  address,
  onClose,
}: {
  mailboxId: string;
  address: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const current = useQuery(trpc.domain.autoReply.queryOptions({ mailboxId }));
  return (
    <Dialog open onClose={onClose} title={`Auto-reply of ${address}`}>
      {current.error && <Alert tone="error">{errorMessage(current.error)}</Alert>}
      {current.data && <AutoReplyForm mailboxId={mailboxId} current={current.data} onClose={onClose} />}
    </Dialog>
  );
}

/** Mounted once the saved reply is loaded, so the form starts from it. */
function AutoReplyForm({
  mailboxId,
  current,
  onClose,
}: {
  mailboxId: string;
  current: AutoReply;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const form = useZodForm(setAutoReplyInput, {
    defaultValues: {
      mailboxId,
      enabled: current.enabled,
      subject: current.subject,
      body: current.body,
      intervalHours: current.intervalHours,
    },
  });
  const save = useMutation(
    trpc.domain.setAutoReply.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.domain.autoReply.queryKey({ mailboxId }) });
        onClose();
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  return (
    <Form form={form} onSubmit={(values) => save.mutate(values)}>
      <FormError form={form} />
      <FormCheckbox form={form} name="enabled" id="auto-reply-enabled" label="Send an automatic reply" />
      <FormField
        form={form}
        name="subject"
        id="auto-reply-subject"
        label="Subject"
        hint="Empty: “Auto: ” and the original subject."
      />
      <FormField form={form} name="body" id="auto-reply-body" label="Message">
        {(control) => (
          <textarea
            {...control}
            className="block min-h-32 w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/30"
          />
        )}
      </FormField>
      <FormField
        form={form}
        name="intervalHours"
        id="auto-reply-interval"
        label="Answer each sender at most once every (hours)"
        hint="Never sent to mailing lists, automatic mail or bounces."
        type="number"
        inputMode="numeric"
        min={1}
        max={720}
        step={1}
        required
      />
      <DialogActions submitLabel="Save" busy={save.isPending} onCancel={onClose} />
    </Form>
  );
}
