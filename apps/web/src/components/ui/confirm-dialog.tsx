// The console's own confirmation, in place of window.confirm: a title, what will happen, a confirm
// button (red when it destroys something) that shows progress while the action runs and keeps the
// dialog open with the reason if it fails.
//
//   const confirm = useConfirm();
//   await confirm({
//     title: "Delete mailbox?",
//     description: "alice@example.com and its mail are removed from every server.",
//     confirmLabel: "Delete mailbox",
//     tone: "danger",
//     onConfirm: () => remove.mutateAsync({ mailboxId }),
//   }); // true once confirmed (and onConfirm succeeded), false if cancelled
"use client";
import * as React from "react";
import { errorMessage } from "~/lib/error-message";
import { Alert } from "./alert";
import { Button } from "./button";
import { Dialog } from "./dialog";

export interface ConfirmOptions {
  title: string;
  description?: React.ReactNode;
  confirmLabel?: string;
  cancelLabel?: string;
  tone?: "danger" | "default";
  /** Runs while the dialog shows progress; a throw keeps it open with the error's message. */
  onConfirm?: () => unknown;
}

/** The dialog itself, for a page that holds its own open state. */
export function ConfirmDialog({
  open,
  title,
  description,
  confirmLabel = "Confirm",
  cancelLabel = "Cancel",
  tone = "default",
  busy = false,
  error,
  onConfirm,
  onCancel,
}: Omit<ConfirmOptions, "onConfirm"> & {
  open: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Dialog open={open} onClose={onCancel} title={title}>
      <div className="space-y-4" data-testid="confirm-dialog">
        {description && <div className="text-sm text-slate-600">{description}</div>}
        {error && <Alert tone="error">{error}</Alert>}
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button type="button" variant="secondary" onClick={onCancel} disabled={busy}>
            {cancelLabel}
          </Button>
          <Button
            type="button"
            variant={tone === "danger" ? "danger" : "primary"}
            busy={busy}
            onClick={onConfirm}
            autoFocus
          >
            {confirmLabel}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}

type Confirm = (options: ConfirmOptions) => Promise<boolean>;
const ConfirmContext = React.createContext<Confirm | null>(null);

interface Pending {
  options: ConfirmOptions;
  resolve: (confirmed: boolean) => void;
}

/** Holds the one confirmation dialog of the app (mounted once, in Providers). */
export function ConfirmProvider({ children }: { children: React.ReactNode }) {
  const [pending, setPending] = React.useState<Pending | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);

  const confirm = React.useCallback<Confirm>(
    (options) =>
      new Promise<boolean>((resolve) => {
        setError(null);
        setBusy(false);
        setPending((previous) => {
          previous?.resolve(false);
          return { options, resolve };
        });
      }),
    [],
  );

  const close = (confirmed: boolean) => {
    pending?.resolve(confirmed);
    setPending(null);
    setBusy(false);
  };

  async function accept() {
    if (!pending || busy) return;
    if (!pending.options.onConfirm) return close(true);
    setBusy(true);
    setError(null);
    try {
      await pending.options.onConfirm();
      close(true);
    } catch (err) {
      setBusy(false);
      setError(errorMessage(err) ?? "Something went wrong.");
    }
  }

  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <ConfirmDialog
        open={pending !== null}
        title={pending?.options.title ?? ""}
        description={pending?.options.description}
        confirmLabel={pending?.options.confirmLabel}
        cancelLabel={pending?.options.cancelLabel}
        tone={pending?.options.tone}
        busy={busy}
        error={error}
        onConfirm={() => void accept()}
        onCancel={() => {
          if (!busy) close(false);
        }}
      />
    </ConfirmContext.Provider>
  );
}

/** Asks for confirmation in the app's own dialog; resolves true when confirmed. */
export function useConfirm(): Confirm {
  const confirm = React.useContext(ConfirmContext);
  if (!confirm) throw new Error("useConfirm needs <ConfirmProvider> (it is in Providers).");
  return confirm;
}
