// The customers section's title ("Customers · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Customers" };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
