// A customer page's title is the customer's name.
import type { Metadata } from "next";
import { entityTitle } from "~/server/page-title";
import { getCustomer } from "~/server/services/customers";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  return {
    title: await entityTitle(
      async (prisma, actor) => (await getCustomer(prisma, actor, id)).name,
      "Customer",
    ),
  };
}

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
