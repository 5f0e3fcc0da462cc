// A page that failed to render: an apology in one sentence, a retry and the way back — never the error
// itself (its digest is in the server's log).
"use client";
import Link from "next/link";
import { StatusPage, primaryLinkClass, secondaryLinkClass } from "~/components/status-page";

export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <StatusPage
      code="Error"
      title="Something went wrong"
      actions={
        <>
          <button type="button" className={primaryLinkClass} onClick={() => reset()}>
            Try again
          </button>
          <Link href="/" className={secondaryLinkClass}>
            Back to the overview
          </Link>
        </>
      }
    >
      This page could not be shown. Try again, or go back to the overview.
      {error.digest && <p className="mt-2 text-xs text-slate-400">Reference: {error.digest}</p>}
    </StatusPage>
  );
}
