// Row 5: where mail to unknown addresses of the domain goes. Refusing it (550 at RCPT) is the secure
// default; choosing a mailbox is a loosening and asks for confirmation first.
"use client";
import { Alert } from "../ui/alert";
import { Card, CardHeader } from "../ui/card";
import { Select } from "../ui/input";
import { errorMessage } from "~/lib/trpc";
import { ConfirmLoosening } from "./confirm-loosening";
import { useDomainSetting } from "./use-domain-setting";
import { SettingSource } from "./setting-source";

const REFUSE = "";

export function CatchAllCard({
  domainId,
  domainName,
  mailboxes,
}: {
  domainId: string;
  domainName: string;
  mailboxes: { id: string; localPart: string }[];
}) {
  const { setting, update, pending, setPending, isSaved, setSaved } = useDomainSetting<string>(
    domainId,
    "catchAllMailbox",
  );
  if (!setting) return null;
  const current = typeof setting.value === "string" ? setting.value : REFUSE;

  const send = (choice: string, confirmLoosening: boolean) =>
    update.mutate({
      domainId,
      patch: { catchAllMailbox: choice === REFUSE ? null : choice },
      confirmLoosening,
    });

  function choose(choice: string) {
    setSaved(false);
    if (choice !== REFUSE && current === REFUSE) return setPending(choice);
    send(choice, false);
  }

  return (
    <Card>
      <CardHeader title="Catch-all" description={`Mail to addresses of ${domainName} that do not exist.`} />
      <div className="space-y-3 px-5 py-4">
        {update.error && <Alert tone="error">{errorMessage(update.error)}</Alert>}
        {isSaved && <Alert tone="success">Saved. Agents apply it within seconds.</Alert>}
        <div className="flex flex-wrap items-center justify-between gap-4">
          <div className="min-w-0 flex-1">
            <label htmlFor="catchAllMailbox" className="font-medium">
              {setting.label} <span className="text-xs font-normal text-slate-400">row {setting.row}</span>
            </label>
            <p className="text-sm text-slate-500">{setting.why}</p>
            <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
              <SettingSource source={setting.source} setHere={setting.setHere} />
            </p>
          </div>
          <Select
            id="catchAllMailbox"
            className="w-72"
            value={current}
            disabled={update.isPending}
            onChange={(e) => choose(e.target.value)}
          >
            <option value={REFUSE}>Refuse unknown addresses (recommended)</option>
            {mailboxes.map((mailbox) => (
              <option key={mailbox.id} value={mailbox.localPart}>
                Deliver to {mailbox.localPart}@{domainName}
              </option>
            ))}
          </Select>
        </div>
      </div>
      <ConfirmLoosening
        open={pending !== null}
        label={setting.label}
        risk={setting.looseningRisk}
        busy={update.isPending}
        onCancel={() => setPending(null)}
        onConfirm={() => pending && send(pending, true)}
      />
    </Card>
  );
}
