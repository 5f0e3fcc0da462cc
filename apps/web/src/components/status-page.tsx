// The page shown instead of one that does not exist or failed: the Mailwarden mark, what happened in a
// sentence, and the ways back. Used by app/not-found.tsx, app/error.tsx and app/global-error.tsx.
import * as React from "react";

export function StatusPage({
  code,
  title,
  children,
  actions,
}: {
  code: string;
  title: string;
  children: React.ReactNode;
  actions: React.ReactNode;
}) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-md text-center">
        <div className="mb-8 flex items-center justify-center gap-2 text-lg font-semibold text-slate-900">
          <span className="grid size-8 place-items-center rounded-md bg-brand-600 text-white">M</span>{" "}
          Mailwarden
        </div>
        <p className="text-sm font-semibold text-brand-600">{code}</p>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
        <div className="mt-3 text-sm text-slate-600">{children}</div>
        <div className="mt-8 flex flex-wrap items-center justify-center gap-3">{actions}</div>
      </div>
    </main>
  );
}

export const primaryLinkClass =
  "inline-flex h-10 items-center rounded-md bg-brand-600 px-4 text-sm font-medium text-white shadow-sm hover:bg-brand-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500";
export const secondaryLinkClass =
  "inline-flex h-10 items-center rounded-md bg-white px-4 text-sm font-medium text-slate-800 shadow-sm ring-1 ring-slate-300 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500";
