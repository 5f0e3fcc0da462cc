// The account section's title ("Account · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";
import { sectionTitle } from "~/lib/page-title";

export const metadata: Metadata = { title: sectionTitle("Account") };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
