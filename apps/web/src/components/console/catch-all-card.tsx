// Where mail to unknown addresses of the domain goes. Refusing it (550 at RCPT) is the secure default;
// choosing a mailbox is a loosening and asks for confirmation first. Saved like every policy setting:
// a choice is a draft until "Save changes" (./use-domain-setting, ./unsaved-changes).
"use client";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { Select } from "../ui/input";
import { cn } from "~/lib/cn";
import { ConfirmLoosening } from "./confirm-loosening";
import { LooserThanDefault } from "./looser-than-default-badge";
import { SettingSource } from "./setting-source";
import { SaveBar, UnsavedChangesGuard } from "./unsaved-changes";
import { useDomainSetting } from "./use-domain-setting";

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
  const catchAll = useDomainSetting(domainId, "catchAllMailbox");
  const { setting } = catchAll;
  if (!setting) return null;
  const choice = typeof catchAll.value === "string" ? catchAll.value : REFUSE;

  return (
    <Card data-testid="catch-all-card">
      <CardHeader title="Catch-all" description={`Mail to addresses of ${domainName} that do not exist.`} />
      <div
        className={cn(
          "space-y-3 border-l-4 px-4 py-4 md:px-5",
          catchAll.isDirty ? "border-l-amber-400 bg-amber-50/50" : "border-l-transparent",
        )}
      >
        <UnsavedChangesGuard isDirty={catchAll.isDirty} />
        <div className="flex flex-col gap-3 md:flex-row md:items-start md:justify-between md:gap-4">
          <div className="min-w-0 md:flex-1">
            <div className="flex flex-wrap items-center gap-2">
              <label htmlFor="catchAllMailbox" className="font-medium">
                {setting.label}
              </label>
              {catchAll.isDirty && (
                <Badge tone="amber" data-testid="catchAllMailbox-unsaved">
                  Unsaved change
                </Badge>
              )}
            </div>
            <p className="text-sm text-slate-500">{setting.why}</p>
            <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
              <SettingSource source={setting.source} setHere={setting.setHere} />
              <LooserThanDefault settingKey="catchAllMailbox" value={setting.value} />
            </p>
          </div>
          <Select
            id="catchAllMailbox"
            className="md:w-72"
            value={choice}
            disabled={catchAll.update.isPending}
            aria-describedby={catchAll.error ? "catchAllMailbox-error" : undefined}
            aria-invalid={catchAll.error ? true : undefined}
            onChange={(e) => catchAll.setDraft(e.target.value === REFUSE ? null : e.target.value)}
          >
            <option value={REFUSE}>Refuse unknown addresses (recommended)</option>
            {mailboxes.map((mailbox) => (
              <option key={mailbox.id} value={mailbox.localPart}>
                Deliver to {mailbox.localPart}@{domainName}
              </option>
            ))}
          </Select>
        </div>
        {catchAll.error && (
          <p id="catchAllMailbox-error" role="alert" className="text-sm text-red-700">
            {catchAll.error}
          </p>
        )}
        <SaveBar
          label="Unsaved catch-all change"
          changeCount={catchAll.isDirty ? 1 : 0}
          isSaving={catchAll.update.isPending}
          notice={catchAll.isSaved ? "Saved. Agents apply it within seconds." : null}
          onDiscard={catchAll.discard}
          onSave={catchAll.save}
        />
      </div>
      <ConfirmLoosening
        open={catchAll.isConfirmingLoosening}
        items={[{ label: setting.label, risk: setting.looseningRisk }]}
        busy={catchAll.update.isPending}
        onCancel={catchAll.cancelLoosening}
        onConfirm={catchAll.confirmLoosening}
      />
    </Card>
  );
}
