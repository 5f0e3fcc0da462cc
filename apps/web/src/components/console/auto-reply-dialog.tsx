// One mailbox's auto-reply (vacation message): on/off, subject, text and how often one sender is answered.
// Whether it is sent at all is also up to the domain's auto-responder policy (row 7).
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "../ui/alert";
import { Dialog, DialogActions } from "../ui/dialog";
import { Field, Input } from "../ui/input";
import { errorMessage, useTRPC } from "~/lib/trpc";

interface Form {
  enabled: boolean;
  subject: string;
  body: string;
  intervalHours: number;
}

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
  const qc = useQueryClient();
  const current = useQuery(trpc.domain.autoReply.queryOptions({ mailboxId }));
  const [form, setForm] = React.useState<Form | null>(null);
  const save = useMutation(
    trpc.domain.setAutoReply.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.domain.autoReply.queryKey({ mailboxId }) });
        onClose();
      },
    }),
  );
  const shown: Form | null = form ?? current.data ?? null;

  return (
    <Dialog open onClose={onClose} title={`Auto-reply of ${address}`}>
      {current.error && <Alert tone="error">{errorMessage(current.error)}</Alert>}
      {shown && (
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ mailboxId, ...shown });
          }}
        >
          {save.error && <Alert tone="error">{errorMessage(save.error)}</Alert>}
          <label className="flex items-center gap-2 text-sm font-medium">
            <input
              type="checkbox"
              checked={shown.enabled}
              onChange={(e) => setForm({ ...shown, enabled: e.target.checked })}
            />
            Send an automatic reply
          </label>
          <Field
            label="Subject"
            htmlFor="auto-reply-subject"
            hint="Empty: “Auto: ” and the original subject."
          >
            <Input
              id="auto-reply-subject"
              value={shown.subject}
              maxLength={200}
              onChange={(e) => setForm({ ...shown, subject: e.target.value })}
            />
          </Field>
          <Field label="Message" htmlFor="auto-reply-body">
            <textarea
              id="auto-reply-body"
              className="block min-h-32 w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
              value={shown.body}
              maxLength={10_000}
              onChange={(e) => setForm({ ...shown, body: e.target.value })}
            />
          </Field>
          <Field
            label="Answer each sender at most once every (hours)"
            htmlFor="auto-reply-interval"
            hint="Never sent to mailing lists, automatic mail or bounces."
          >
            <Input
              id="auto-reply-interval"
              type="number"
              min={1}
              max={720}
              value={shown.intervalHours}
              onChange={(e) => setForm({ ...shown, intervalHours: Number(e.target.value) })}
            />
          </Field>
          <DialogActions submitLabel="Save" busy={save.isPending} onCancel={onClose} />
        </form>
      )}
    </Dialog>
  );
}
