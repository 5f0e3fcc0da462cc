// The mail log section's title ("Logs · Mailwarden"); its pages are client components.
import type { Metadata } from "next";
import { sectionTitle } from "~/lib/page-title";

export const metadata: Metadata = { title: sectionTitle("Logs") };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
