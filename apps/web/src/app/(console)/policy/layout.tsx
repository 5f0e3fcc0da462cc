// The policy section's title ("Policy · Mailwarden"); the page itself is a client component.
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Policy" };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
