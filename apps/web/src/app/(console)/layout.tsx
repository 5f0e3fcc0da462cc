// Every console page sits behind this layout: no session → sign-in; 2FA owed → enrollment.
import type { Metadata } from "next";
import { sectionTitle } from "~/lib/page-title";
import { redirect } from "next/navigation";
import { loadActor } from "~/server/auth/actor";
import { getSessionUserId } from "~/server/auth/session";
import { getRuntime } from "~/server/runtime";
import { can, type Permission } from "~/server/access";
import { ConsoleNav } from "~/components/console/nav";

export const dynamic = "force-dynamic";
// The overview's title; every section below names itself in its own layout.
export const metadata: Metadata = { title: sectionTitle("Overview") };

const navItems: { href: string; label: string; permission?: Permission; providerOnly?: boolean }[] = [
  { href: "/", label: "Overview" },
  { href: "/customers", label: "Customers", providerOnly: true },
  { href: "/domains", label: "Domains", permission: "domain.read" },
  { href: "/servers", label: "Servers", permission: "server.read" },
  { href: "/logs", label: "Logs", permission: "logs.read" },
  { href: "/policy", label: "Policy", permission: "policy.writeProvider" },
  { href: "/audit", label: "Audit log", permission: "audit.read" },
  { href: "/people", label: "People", providerOnly: true },
  { href: "/account", label: "Account" },
];

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const userId = await getSessionUserId();
  if (!userId) redirect("/login");
  const state = await loadActor(getRuntime().prisma, userId);
  if (!state) redirect("/login");
  if (state.needs2faSetup) redirect("/two-factor");
  const { actor } = state;
  const items = navItems
    .filter((i) => (i.providerOnly ? actor.providerRole !== null : !i.permission || can(actor, i.permission)))
    .map(({ href, label }) => ({ href, label }));
  return (
    <div className="min-h-screen md:flex">
      <ConsoleNav items={items} user={{ name: actor.name, email: actor.email }} />
      <main className="min-w-0 flex-1 px-4 py-6 md:px-8 md:py-8">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}
