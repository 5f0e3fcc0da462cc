// The two-factor authentication page's title; the page itself is a client component.
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Two-factor authentication" };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
