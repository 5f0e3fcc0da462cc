// The last resort when the root layout itself failed: it replaces the whole document, so it brings its
// own <html> and the global styles, and offers a reload and the way back.
"use client";
import { StatusPage, primaryLinkClass, secondaryLinkClass } from "~/components/status-page";
import "./globals.css";

export default function GlobalError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <title>Something went wrong · Mailwarden</title>
        <StatusPage
          code="Error"
          title="Something went wrong"
          actions={
            <>
              <button type="button" className={primaryLinkClass} onClick={() => reset()}>
                Try again
              </button>
              {/* A plain link: the app's router may be what failed. */}
              <a href="/" className={secondaryLinkClass}>
                Back to the overview
              </a>
            </>
          }
        >
          Mailwarden could not show this page. Try again, or go back to the overview.
          {error.digest && <p className="mt-2 text-xs text-slate-400">Reference: {error.digest}</p>}
        </StatusPage>
      </body>
    </html>
  );
}
