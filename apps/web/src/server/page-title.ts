// Page titles that name what a page shows ("mx1.acme.example · Mailwarden"): read with the signed-in
// user's own access rules, so a title never names what the page itself would refuse to show.
import { cache } from "react";
import type { Db } from "@mailwarden/db";
import type { Actor } from "./access";
import { loadActor } from "./auth/actor";
import { getSessionUserId } from "./auth/session";
import { getRuntime } from "./runtime";

/** Once per request, however many titles and layouts ask. */
const currentActor = cache(async (): Promise<Actor | null> => {
  const userId = await getSessionUserId();
  if (!userId) return null;
  return (await loadActor(getRuntime().prisma, userId))?.actor ?? null;
});

/** `read`'s answer, or `fallback` when nobody is signed in, the object is not theirs, or anything fails. */
export async function entityTitle(
  read: (prisma: Db, actor: Actor) => Promise<string>,
  fallback: string,
): Promise<string> {
  try {
    const actor = await currentActor();
    return actor ? await read(getRuntime().prisma, actor) : fallback;
  } catch {
    return fallback;
  }
}
