// The servers section's title ("Servers · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Servers" };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
