// Reads the signed-in user id in server components and route handlers.
import { getServerSession } from "next-auth";
import { authOptions } from "./options";

export async function getSessionUserId(): Promise<string | null> {
  const session = await getServerSession(authOptions());
  const id = (session?.user as { id?: string } | undefined)?.id;
  return typeof id === "string" ? id : null;
}
