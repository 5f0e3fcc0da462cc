// Root layout: fonts (bundled, no network), global styles and the client providers.
import type { Metadata, Viewport } from "next";
import { GeistSans } from "geist/font/sans";
import { GeistMono } from "geist/font/mono";
import { titleTemplate } from "~/lib/page-title";
import { Providers } from "~/lib/trpc";
import "./globals.css";

export const metadata: Metadata = {
  // "Servers · Mailwarden": each section's layout names itself; the detail pages name their object.
  title: { default: "Mailwarden", template: titleTemplate },
  description: "Lock down the mail servers you run for your customers.",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" className={`${GeistSans.variable} ${GeistMono.variable}`}>
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
