// The per-domain security settings (row 2 "Require SMTP authentication"): inherit, on, or off.
"use client";
import { Alert } from "../ui/alert";
import { Card, CardHeader } from "../ui/card";
import { Select } from "../ui/input";
import { errorMessage } from "~/lib/trpc";
import { ConfirmLoosening } from "./confirm-loosening";
import { useDomainSetting } from "./use-domain-setting";
import { SettingSource, formatSettingValue } from "./setting-source";

type Choice = "inherit" | "on" | "off";

export function DomainPolicyCard({ domainId, domainName }: { domainId: string; domainName: string }) {
  const { setting, update, pending, setPending, isSaved, setSaved } = useDomainSetting<Choice>(
    domainId,
    "requireSmtpAuth",
  );
  if (!setting) return null;
  const current: Choice = setting.setHere ? (setting.value ? "on" : "off") : "inherit";

  const send = (choice: Choice, confirmLoosening: boolean) =>
    update.mutate({
      domainId,
      patch: { requireSmtpAuth: choice === "inherit" ? null : choice === "on" },
      confirmLoosening,
    });

  function choose(choice: Choice) {
    setSaved(false);
    if (choice === "off" && setting?.value === true) return setPending(choice);
    send(choice, false);
  }

  return (
    <Card>
      <CardHeader
        title="Security settings"
        description={`Enforced by every agent that serves ${domainName}.`}
      />
      <div className="space-y-3 px-5 py-4">
        {update.error && <Alert tone="error">{errorMessage(update.error)}</Alert>}
        {isSaved && <Alert tone="success">Saved. Agents apply it within seconds.</Alert>}
        <div className="flex flex-wrap items-center justify-between gap-4">
          <div className="min-w-0 flex-1">
            <label htmlFor="requireSmtpAuth" className="font-medium">
              {setting.label} <span className="text-xs font-normal text-slate-400">row {setting.row}</span>
            </label>
            <p className="text-sm text-slate-500">{setting.why}</p>
            <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
              <span>
                Effective:{" "}
                <strong data-testid="requireSmtpAuth-effective">{formatSettingValue(setting.value)}</strong>
              </span>
              <SettingSource source={setting.source} setHere={setting.setHere} />
              <span className="text-slate-400">
                Secure default: {formatSettingValue(setting.secureDefault)}
              </span>
            </p>
          </div>
          <Select
            id="requireSmtpAuth"
            className="w-56"
            value={current}
            disabled={update.isPending}
            onChange={(e) => choose(e.target.value as Choice)}
          >
            <option value="inherit">Inherit</option>
            <option value="on">On — senders must log in</option>
            <option value="off">Off</option>
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
