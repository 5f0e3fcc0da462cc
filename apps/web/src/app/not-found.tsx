// Any URL the console does not have: said plainly, with the way back to the overview.
import type { Metadata } from "next";
import Link from "next/link";
import { StatusPage, primaryLinkClass } from "~/components/status-page";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <StatusPage
      code="404"
      title="Page not found"
      actions={
        <Link href="/" className={primaryLinkClass}>
          Back to the overview
        </Link>
      }
    >
      There is no page at this address. It may have moved, or the link may be mistyped.
    </StatusPage>
  );
}
