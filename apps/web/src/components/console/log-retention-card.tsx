// The provider's mail-log retention on the People page beside the other console settings: how many days
// of records are kept before whole days are dropped. Provider admins change it; auditors read it.
"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Form, FormError, FormField, useZodForm } from "~/components/form";
import { Button } from "~/components/ui/button";
import { Card, CardHeader } from "~/components/ui/card";
import { logRetentionInput } from "~/lib/schemas/mail-log";
import { useTRPC } from "~/lib/trpc";

export function LogRetentionCard({ canWrite }: { canWrite: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const settings = useQuery(trpc.people.consoleSettings.queryOptions());
  const form = useZodForm(logRetentionInput, {
    values: settings.data ? { logRetentionDays: settings.data.logRetentionDays } : undefined,
  });
  const [saved, setSaved] = React.useState(false);
  const update = useMutation(
    trpc.people.updateLogRetention.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        void qc.invalidateQueries({ queryKey: trpc.people.consoleSettings.queryKey() });
      },
      onError: (error) => form.setServerError(error),
    }),
  );
  return (
    <Card>
      <CardHeader
        title="Mail log"
        description="Records of what the agents decided are kept this long for every customer, then deleted a whole day at a time."
      />
      <Form
        form={form}
        className="p-5"
        onSubmit={(values) => {
          setSaved(false);
          update.mutate(values);
        }}
      >
        <FormError form={form} />
        <FormField
          form={form}
          name="logRetentionDays"
          label="Keep records for (days)"
          type="number"
          inputMode="numeric"
          min={1}
          max={3650}
          className="max-w-xs"
          disabled={!canWrite}
          hint="1 to 3650 days. Shortening it deletes the older days within the hour."
        />
        {canWrite && (
          <div className="flex items-center gap-3">
            <Button type="submit" busy={update.isPending}>
              Save
            </Button>
            {saved && !form.formState.isDirty && <span className="text-sm text-emerald-700">Saved.</span>}
          </div>
        )}
      </Form>
    </Card>
  );
}
