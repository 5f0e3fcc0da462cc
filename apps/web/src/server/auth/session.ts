// Reads the signed-in user in server components and route handlers: the cookie names a server-side
// session (./sessions.ts), which must still be live — a session ended elsewhere is refused here.
import { getServerSession } from "next-auth";
import { authOptions } from "./options";
import { getRuntime } from "../runtime";
import { validateSession } from "./sessions";

export async function getCurrentSession(): Promise<{ userId: string; sessionId: string } | null> {
  const session = await getServerSession(authOptions());
  const sessionId = (session as { sid?: unknown } | null)?.sid;
  if (typeof sessionId !== "string") return null;
  const userId = await validateSession(getRuntime().prisma, sessionId);
  return userId ? { userId, sessionId } : null;
}

export async function getSessionUserId(): Promise<string | null> {
  return (await getCurrentSession())?.userId ?? null;
}
