// Locking or unlocking a provider setting changes what every customer may do, so it asks first and says
// what it means for them, in the same dialog style as ./confirm-loosening.
"use client";
import type { PolicyLevel } from "@mailwarden/policy";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";

const levelNames: Partial<Record<PolicyLevel, string>> = {
  customer: "customers",
  domain: "domains",
  server: "servers",
};

/** "customers, domains and servers" — the levels below the provider that can set it. */
function levelsBelow(levels: readonly PolicyLevel[]): string {
  const names = levels.map((level) => levelNames[level]).filter((name): name is string => !!name);
  if (names.length <= 1) return names[0] ?? "customers";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export function ConfirmLock({
  lock,
  busy,
  onConfirm,
  onCancel,
}: {
  /** The setting to lock or unlock, or null when the dialog is closed. */
  lock: {
    label: string;
    levels: readonly PolicyLevel[];
    isLocking: boolean;
    /** The provider's saved value, as a person reads it. */
    value: string;
    /** The provider's value has unsaved changes: the lock uses the saved one. */
    hasUnsavedChange: boolean;
  } | null;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const below = lock ? levelsBelow(lock.levels) : "";
  return (
    <Dialog
      open={lock !== null}
      onClose={onCancel}
      title={lock ? `${lock.isLocking ? "Lock" : "Unlock"} “${lock.label}”?` : ""}
    >
      {lock && (
        <div className="space-y-3 text-sm text-slate-600">
          {lock.isLocking ? (
            <>
              <p>
                Customer admins can no longer make “{lock.label}” looser than <strong>{lock.value}</strong>{" "}
                for their {below}. They can still make it stricter.
              </p>
              <p>
                Where a customer already chose something looser, that choice stops applying at once (it is
                kept, marked as not in force) and their agents get the locked value within seconds.
              </p>
              {lock.hasUnsavedChange && (
                <p className="text-amber-800">
                  Your unsaved change to this setting is not part of the lock: the lock uses the saved value.
                </p>
              )}
            </>
          ) : (
            <p>
              Customer admins can set “{lock.label}” for their {below} again, looser than the provider default
              too. Choices of theirs that the lock kept out of force apply again at once.
            </p>
          )}
          <p>This is recorded in the audit log.</p>
        </div>
      )}
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button variant={lock?.isLocking ? "primary" : "danger"} busy={busy} onClick={onConfirm}>
          {lock?.isLocking ? "Lock it" : "Unlock it"}
        </Button>
      </div>
    </Dialog>
  );
}
