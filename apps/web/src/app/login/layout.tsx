// The sign in page's title; the page itself is a client component.
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Sign in" };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
