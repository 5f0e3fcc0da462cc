// The console's navigation: a sidebar on a laptop, a collapsible bar on a phone.
"use client";
import * as React from "react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import { cn } from "~/lib/cn";

export function ConsoleNav({
  items,
  user,
}: {
  items: { href: string; label: string }[];
  user: { name: string; email: string };
}) {
  const pathname = usePathname();
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const isActive = (href: string) => (href === "/" ? pathname === "/" : pathname.startsWith(href));
  return (
    <aside className="border-b border-slate-200 bg-white md:sticky md:top-0 md:h-screen md:w-60 md:shrink-0 md:border-b-0 md:border-r">
      <div className="flex items-center justify-between px-4 py-4 md:px-5">
        <Link href="/" className="flex items-center gap-2 font-semibold">
          <span className="grid size-7 place-items-center rounded-md bg-brand-600 text-sm text-white">M</span>{" "}
          Mailwarden
        </Link>
        <button
          className="rounded-md p-2 text-slate-600 md:hidden"
          onClick={() => setOpen(!open)}
          aria-label="Menu"
          aria-expanded={open}
        >
          ☰
        </button>
      </div>
      <nav className={cn("space-y-0.5 px-3 pb-4 md:block", open ? "block" : "hidden")} aria-label="Main">
        {items.map((item) => (
          <Link
            key={item.href}
            href={item.href}
            onClick={() => setOpen(false)}
            className={cn(
              "block rounded-md px-3 py-2 text-sm font-medium",
              isActive(item.href)
                ? "bg-brand-50 text-brand-700"
                : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
            )}
          >
            {item.label}
          </Link>
        ))}
        <div className="mt-6 border-t border-slate-100 px-3 pt-4 text-xs text-slate-500">
          <div className="truncate font-medium text-slate-700">{user.name}</div>
          <div className="truncate">{user.email}</div>
          <button
            className="mt-2 text-brand-600 hover:underline"
            onClick={() => void signOut({ redirect: false }).then(() => router.replace("/login"))}
          >
            Sign out
          </button>
        </div>
      </nav>
    </aside>
  );
}
