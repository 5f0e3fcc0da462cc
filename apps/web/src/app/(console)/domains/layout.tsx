// The domains section's title ("Domains · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";
import { sectionTitle } from "~/lib/page-title";

export const metadata: Metadata = { title: sectionTitle("Domains") };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
