// Loosening a setting is never one click: this dialog says what it exposes before the change is sent.
"use client";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";

export function ConfirmLoosening({
  open,
  label,
  risk,
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  label: string;
  risk: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Dialog open={open} onClose={onCancel} title={`Loosen “${label}”?`}>
      <Alert tone="warning">{risk}</Alert>
      <p className="mt-3 text-sm text-slate-600">
        This lowers the security score and is recorded in the audit log.
      </p>
      <div className="mt-4 flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Keep it secure
        </Button>
        <Button variant="danger" busy={busy} onClick={onConfirm}>
          Loosen it
        </Button>
      </div>
    </Dialog>
  );
}
