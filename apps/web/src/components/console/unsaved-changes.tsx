// The one save behaviour of the policy editor and of every card that saves a policy setting: changes are
// drafts until "Save changes", the bar says how many there are and offers "Discard", and leaving the page
// with drafts asks first (an in-app dialog for links inside the console and for another tab of the page,
// which unmounts this one; the browser's own prompt for a reload or a closed tab — browsers allow nothing
// else there).
"use client";
import * as React from "react";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { cn } from "~/lib/cn";

/**
 * "2 unsaved changes · Discard · Save changes" while there are drafts; after a save, its outcome. Sticky at
 * the bottom of the viewport for a long editor (`isSticky`), inline at the foot of a card otherwise.
 */
export function SaveBar({
  changeCount,
  isSaving,
  notice,
  error,
  isSticky = false,
  label = "Unsaved changes",
  onDiscard,
  onSave,
}: {
  changeCount: number;
  isSaving: boolean;
  /** Shown when nothing is left to save: what the last save did. */
  notice?: string | null;
  /** A failure no single setting owns. */
  error?: string | null;
  isSticky?: boolean;
  label?: string;
  onDiscard: () => void;
  onSave: () => void;
}) {
  if (changeCount === 0 && !notice && !error) return null;
  return (
    <div
      role="region"
      aria-label={label}
      data-testid="save-bar"
      className={cn(
        "space-y-2",
        isSticky &&
          "sticky bottom-3 z-10 rounded-lg border border-slate-200 bg-white/95 p-3 shadow-lg backdrop-blur",
      )}
    >
      {error && <Alert tone="error">{error}</Alert>}
      {changeCount > 0 ? (
        <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
          <p className="text-sm font-medium text-amber-800" data-testid="unsaved-count">
            {changeCount === 1 ? "1 unsaved change" : `${changeCount} unsaved changes`}
          </p>
          <div className="flex gap-2">
            <Button type="button" variant="secondary" disabled={isSaving} onClick={onDiscard}>
              Discard
            </Button>
            <Button type="button" busy={isSaving} onClick={onSave}>
              Save changes
            </Button>
          </div>
        </div>
      ) : (
        notice && <Alert tone="success">{notice}</Alert>
      )}
    </div>
  );
}

/**
 * What a click would leave this view through: a console link to another page, or another tab of the page
 * (../ui/tabs renders only the open tab). Null for a new browser tab, a download, another site.
 */
function leavingThrough(event: MouseEvent): HTMLElement | null {
  if (event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const target = event.target as Element | null;
  const tab = target?.closest?.('[role="tab"]');
  if (tab instanceof HTMLElement) return tab.getAttribute("aria-selected") === "true" ? null : tab;
  const anchor = target?.closest?.("a[href]");
  if (!(anchor instanceof HTMLAnchorElement)) return null;
  if (anchor.target && anchor.target !== "_self") return null;
  if (anchor.hasAttribute("download")) return null;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) return null;
  if (url.pathname === window.location.pathname && url.search === window.location.search) return null;
  return anchor;
}

/**
 * While `isDirty`, leaving the page asks first. A click on a console link is held and an in-app dialog asks
 * whether to leave; a reload or closing the tab gets the browser's own prompt.
 */
export function UnsavedChangesGuard({ isDirty }: { isDirty: boolean }) {
  const [leavingTo, setLeavingTo] = React.useState<HTMLElement | null>(null);
  // Set while the held click is replayed, so it goes through.
  const isLeaving = React.useRef(false);

  React.useEffect(() => {
    if (!isDirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers need returnValue set to show the prompt.
      event.returnValue = "";
    };
    // Capture phase on the document: runs before Next's <Link> handler, which then never sees the click.
    const onClick = (event: MouseEvent) => {
      if (isLeaving.current) return;
      const through = leavingThrough(event);
      if (!through) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      setLeavingTo(through);
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    document.addEventListener("click", onClick, true);
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      document.removeEventListener("click", onClick, true);
    };
  }, [isDirty]);

  return (
    <Dialog open={leavingTo !== null} onClose={() => setLeavingTo(null)} title="Leave without saving?">
      <p className="text-sm text-slate-600">
        You have changes on this page that are not saved. If you leave now, they are lost.
      </p>
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={() => setLeavingTo(null)}>
          Stay on this page
        </Button>
        <Button
          variant="danger"
          onClick={() => {
            const through = leavingTo;
            setLeavingTo(null);
            // Once the dialog has closed (a modal dialog makes the page behind it inert), replay the click.
            window.setTimeout(() => {
              isLeaving.current = true;
              try {
                through?.click();
              } finally {
                isLeaving.current = false;
              }
            }, 0);
          }}
        >
          Leave without saving
        </Button>
      </div>
    </Dialog>
  );
}
