// Row 22: MailingList.bounceResumes is a Json column ([{address, at}]). One reader for both sides that
// use it — the hub, which sends the resumes to the agents, and the console, which hides bounce reports a
// resume made obsolete and rewrites the column — so they agree on what a stored entry is and on dropping
// entries of addresses that are no longer members.
import { z } from "zod";

const storedBounceResumesSchema = z.array(z.object({ address: z.string(), at: z.string() }));

/** One member an admin resumed after a bounce pause, and when (ISO time). */
export type BounceResume = z.infer<typeof storedBounceResumesSchema>[number];

/** The stored resumes of `members` (any JSON; none when it cannot be read). */
export function bounceResumesOf(stored: unknown, members: readonly string[]): BounceResume[] {
  const resumes = storedBounceResumesSchema.safeParse(stored).data ?? [];
  return resumes.filter((resume) => members.includes(resume.address));
}
