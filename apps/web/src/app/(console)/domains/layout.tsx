// The domains section's title ("Domains · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Domains" };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
