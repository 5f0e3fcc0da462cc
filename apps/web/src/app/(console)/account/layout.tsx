// The account section's title ("Account · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Account" };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
