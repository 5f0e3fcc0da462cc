// A domain page's title is the domain's name, as its owner writes it.
import type { Metadata } from "next";
import { displayDomain } from "~/lib/format";
import { entityTitle } from "~/server/page-title";
import { findDomain } from "~/server/services/domains";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  return {
    title: await entityTitle(
      async (prisma, actor) => displayDomain((await findDomain(prisma, actor, id, "domain.read")).name),
      "Domain",
    ),
  };
}

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
