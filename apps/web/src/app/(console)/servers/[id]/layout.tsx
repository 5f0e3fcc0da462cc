// A server page's title is the server's name.
import type { Metadata } from "next";
import { entityTitle } from "~/server/page-title";
import { getServer } from "~/server/services/servers";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  return {
    title: await entityTitle(async (prisma, actor) => (await getServer(prisma, actor, id)).name, "Server"),
  };
}

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
