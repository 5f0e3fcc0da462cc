// Tabs for pages taller than a few screens (a server, a domain, a customer). The open tab lives in the
// URL (`?tab=queue`), so a link or a reload opens the same tab; the first tab is the page's bare URL.
// Keyboard as the WAI-ARIA tabs pattern: arrows, Home and End move between tabs and open them.
"use client";
import * as React from "react";
import { usePathname, useSearchParams } from "next/navigation";
import { cn } from "~/lib/cn";

export interface TabItem {
  /** What `?tab=` says; short, lower case ("queue"). */
  id: string;
  label: React.ReactNode;
  /** Rendered only while its tab is open, so a tab's reads happen when someone looks at it. */
  panel: React.ReactNode;
}

export function Tabs(props: { label: string; tabs: TabItem[]; param?: string }) {
  return (
    <React.Suspense fallback={null}>
      <UrlTabs {...props} />
    </React.Suspense>
  );
}

function UrlTabs({ label, tabs, param = "tab" }: { label: string; tabs: TabItem[]; param?: string }) {
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const asked = searchParams.get(param);
  const active = tabs.find((t) => t.id === asked) ?? tabs[0];
  const refs = React.useRef(new Map<string, HTMLButtonElement>());
  const baseId = React.useId();
  if (!active) return null;

  function open(id: string, focus = false) {
    const params = new URLSearchParams(searchParams.toString());
    if (id === tabs[0]?.id) params.delete(param);
    else params.set(param, id);
    const query = params.toString();
    // Next.js keeps useSearchParams in step with the history API, without a round trip to the server.
    window.history.pushState(null, "", `${pathname}${query ? `?${query}` : ""}${window.location.hash}`);
    if (focus) refs.current.get(id)?.focus();
  }

  function onKeyDown(event: React.KeyboardEvent, index: number) {
    const last = tabs.length - 1;
    const next =
      event.key === "ArrowRight"
        ? index === last
          ? 0
          : index + 1
        : event.key === "ArrowLeft"
          ? index === 0
            ? last
            : index - 1
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? last
              : null;
    if (next === null) return;
    event.preventDefault();
    open(tabs[next]!.id, true);
  }

  return (
    <div>
      <div
        role="tablist"
        aria-label={label}
        className="-mx-4 mb-6 flex gap-1 overflow-x-auto border-b border-slate-200 px-4 md:mx-0 md:px-0"
      >
        {tabs.map((tab, index) => {
          const isActive = tab.id === active.id;
          return (
            <button
              key={tab.id}
              ref={(el) => {
                if (el) refs.current.set(tab.id, el);
                else refs.current.delete(tab.id);
              }}
              type="button"
              role="tab"
              id={`${baseId}-tab-${tab.id}`}
              aria-selected={isActive}
              aria-controls={`${baseId}-panel-${tab.id}`}
              tabIndex={isActive ? 0 : -1}
              onClick={() => open(tab.id)}
              onKeyDown={(e) => onKeyDown(e, index)}
              className={cn(
                "-mb-px shrink-0 whitespace-nowrap border-b-2 px-3 py-2.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500",
                isActive
                  ? "border-brand-600 text-brand-700"
                  : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800",
              )}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      <div
        role="tabpanel"
        id={`${baseId}-panel-${active.id}`}
        aria-labelledby={`${baseId}-tab-${active.id}`}
        tabIndex={0}
        className="focus:outline-none"
      >
        {active.panel}
      </div>
    </div>
  );
}
