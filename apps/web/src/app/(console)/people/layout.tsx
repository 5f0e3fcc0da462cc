// The page's title; the page itself is a client component.
import type { Metadata } from "next";
import { sectionTitle } from "~/lib/page-title";

export const metadata: Metadata = { title: sectionTitle("People") };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
