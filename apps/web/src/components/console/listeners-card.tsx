// Which listeners the server's agent opens (inbound 25, submission 587 and 465, POP3 110 and 995), each
// with the port it really listens on as the agent last reported. The agent opens nothing this card does
// not show as on. Like the policy settings, ticks are a draft until "Save listeners"; the hub then pushes
// the new set and the agent opens or closes the listeners without dropping other sessions.
"use client";
import * as React from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { errorMessage, useTRPC } from "~/lib/trpc";

type ListenerKey = "INBOUND" | "SUBMISSION" | "SUBMISSION_TLS" | "POP3" | "POP3S";

export interface ListenerRow {
  key: ListenerKey;
  label: string;
  usualPort: number;
  isOn: boolean;
  /** The port the agent reported it listening on; null when it reported it closed, or never reported. */
  port: number | null;
}

function ListenerState({ row, hasPosture }: { row: ListenerRow; hasPosture: boolean }) {
  if (row.isOn && row.port !== null) return <Badge tone="green">Listening on port {row.port}</Badge>;
  if (row.isOn) return hasPosture ? <Badge tone="amber">Not listening yet</Badge> : <Badge>On</Badge>;
  if (row.port !== null) return <Badge tone="amber">Closing (port {row.port})</Badge>;
  return <Badge>Off</Badge>;
}

export function ListenersCard({
  serverId,
  listeners,
  hasPosture,
  canManage,
}: {
  serverId: string;
  listeners: ListenerRow[];
  /** Whether the agent has reported a posture yet (before that no port is known). */
  hasPosture: boolean;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const stored = listeners.filter((row) => row.isOn).map((row) => row.key);
  const storedKey = stored.join(",");
  const [draft, setDraft] = React.useState<ListenerKey[]>(stored);
  // the draft starts over whenever the saved setting changes (loaded, saved, or changed elsewhere)
  React.useEffect(() => setDraft(storedKey ? (storedKey.split(",") as ListenerKey[]) : []), [storedKey]);
  const update = useMutation(
    trpc.server.updateListeners.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.server.get.queryKey({ serverId }) }),
    }),
  );
  const isDirty = draft.slice().sort().join(",") !== stored.slice().sort().join(",");
  const toggle = (key: ListenerKey, isOn: boolean) => {
    update.reset();
    setDraft((current) => (isOn ? [...current, key] : current.filter((k) => k !== key)));
  };
  return (
    <Card data-testid="listeners-card">
      <CardHeader
        title="Listeners"
        description="The ports this server’s agent opens. Nothing else listens; the port numbers come from the agent’s own settings file."
      />
      <ul className="divide-y divide-slate-100">
        {listeners.map((row) => {
          const id = `listener-${row.key.toLowerCase()}`;
          return (
            <li key={row.key} className="flex flex-wrap items-center justify-between gap-2 px-5 py-3">
              <label htmlFor={id} className="flex items-center gap-3 text-sm text-slate-900">
                <input
                  id={id}
                  type="checkbox"
                  className="h-4 w-4 rounded border-slate-300"
                  checked={draft.includes(row.key)}
                  disabled={!canManage || update.isPending}
                  onChange={(e) => toggle(row.key, e.target.checked)}
                />
                <span>
                  {row.label} <span className="text-slate-500">· usually port {row.usualPort}</span>
                </span>
              </label>
              <ListenerState row={row} hasPosture={hasPosture} />
            </li>
          );
        })}
      </ul>
      {canManage && (
        <div className="space-y-3 border-t border-slate-100 px-5 py-4">
          {draft.length === 0 && isDirty && (
            <Alert tone="warning">
              With every listener off this server receives no mail, and its users can neither send nor read
              theirs.
            </Alert>
          )}
          {update.error && <Alert tone="error">{errorMessage(update.error)}</Alert>}
          {update.isSuccess && !isDirty && (
            <p className="text-sm text-slate-600" role="status">
              Saved. The agent opens and closes its listeners as soon as it receives the change.
            </p>
          )}
          <div className="flex flex-wrap gap-2">
            <Button
              onClick={() => update.mutate({ serverId, listeners: draft })}
              disabled={!isDirty}
              busy={update.isPending}
            >
              Save listeners
            </Button>
            {isDirty && (
              <Button variant="secondary" onClick={() => setDraft(stored)} disabled={update.isPending}>
                Discard changes
              </Button>
            )}
          </div>
        </div>
      )}
    </Card>
  );
}
