// The servers section's title ("Servers · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";
import { sectionTitle } from "~/lib/page-title";

export const metadata: Metadata = { title: sectionTitle("Servers") };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
