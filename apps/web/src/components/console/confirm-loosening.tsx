// Loosening a setting is never one click: this dialog says what each loosened setting exposes before the
// change is sent. Locking and unlocking (./confirm-lock) ask in the same style.
"use client";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";

export function ConfirmLoosening({
  open,
  items,
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  /** Each setting the save loosens, with what loosening it exposes. */
  items: readonly { label: string; risk: string }[];
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const title = items.length === 1 ? `Loosen “${items[0]!.label}”?` : `Loosen ${items.length} settings?`;
  return (
    <Dialog open={open} onClose={onCancel} title={title}>
      <div className="space-y-2">
        {items.map((item) => (
          <Alert key={item.label} tone="warning">
            {items.length > 1 && <strong className="block">{item.label}</strong>}
            {item.risk}
          </Alert>
        ))}
      </div>
      <p className="mt-3 text-sm text-slate-600">
        This lowers the security score and is recorded in the audit log.
      </p>
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
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
