// Row 21: the blocks abuse detection has put in place — addresses refused (or delayed) at connect and
// users whose sending is suspended — kept in <stateDir>/abuse-blocks.json so a restart does not hand an
// attacker a clean slate. Address blocks end on their own; a suspension lasts until an administrator
// lifts it. Writes go through the atomic-write helper, one after the other, newest state last.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { writeFileAtomic } from "../state/atomic-write";

export const abuseRuleIds = ["ids.dos", "ids.harvesting", "ids.brute-force", "ids.internal-spammer"] as const;
export type AbuseRuleId = (typeof abuseRuleIds)[number];

export const abuseBlockSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  /** `ip`: a client address; `user`: an authenticated mailbox address. */
  kind: z.enum(["ip", "user"]),
  subject: z.string().min(1).max(320),
  rule: z.enum(abuseRuleIds),
  /** block: refused (554); delay: tempfailed (421) first, for an address with a recent login; suspend: no sending. */
  action: z.enum(["block", "delay", "suspend"]),
  reason: z.string().max(300),
  since: z.iso.datetime(),
  /** null: until an administrator lifts it. */
  until: z.iso.datetime().nullable(),
});
export type AbuseBlock = z.infer<typeof abuseBlockSchema>;

const fileSchema = z.object({ version: z.literal(1), blocks: z.array(abuseBlockSchema) });

export function abuseBlocksPath(stateDir: string): string {
  return path.join(stateDir, "abuse-blocks.json");
}

export class AbuseBlockList {
  readonly #file: string;
  readonly #logger: Logger;
  #blocks: AbuseBlock[];
  #writes: Promise<void> = Promise.resolve();

  private constructor(file: string, blocks: AbuseBlock[], logger: Logger) {
    this.#file = file;
    this.#blocks = blocks;
    this.#logger = logger;
  }

  /** Reads the saved blocks; a missing file is an empty list, an unreadable one is logged and ignored. */
  static async open(stateDir: string, logger: Logger): Promise<AbuseBlockList> {
    const file = abuseBlocksPath(stateDir);
    let blocks: AbuseBlock[] = [];
    try {
      blocks = fileSchema.parse(JSON.parse(await readFile(file, "utf8"))).blocks;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        logger.error({ err: error, file }, "abuse blocks unreadable; starting without them");
      }
    }
    return new AbuseBlockList(file, blocks, logger);
  }

  /** The blocks in force at `now` (expired ones are dropped on the way). */
  active(now = Date.now()): AbuseBlock[] {
    const live = this.#blocks.filter((block) => block.until === null || Date.parse(block.until) > now);
    if (live.length !== this.#blocks.length) this.#blocks = live;
    return [...live];
  }

  /** The block or delay on an address at `now`, a block before a delay. */
  forAddress(ip: string, now = Date.now()): AbuseBlock | undefined {
    const found = this.active(now).filter((block) => block.kind === "ip" && block.subject === ip);
    return found.find((block) => block.action === "block") ?? found[0];
  }

  /** The suspension of a user's sending, if any (user addresses compare case-insensitively). */
  forUser(user: string): AbuseBlock | undefined {
    const wanted = user.toLowerCase();
    return this.active().find((block) => block.kind === "user" && block.subject.toLowerCase() === wanted);
  }

  add(block: Omit<AbuseBlock, "id">): AbuseBlock {
    const added = { id: randomBytes(8).toString("hex"), ...block };
    this.#blocks = [...this.active(Date.parse(block.since)), added];
    this.#save();
    return added;
  }

  /** Removes a block; null when there is no such block (lifted already, or expired). */
  lift(id: string): AbuseBlock | null {
    const found = this.active().find((block) => block.id === id);
    if (!found) return null;
    this.#blocks = this.#blocks.filter((block) => block !== found);
    this.#save();
    return found;
  }

  /** Resolves once every change so far is on disk. */
  flush(): Promise<void> {
    return this.#writes;
  }

  #save(): void {
    const snapshot = JSON.stringify({ version: 1, blocks: this.#blocks });
    this.#writes = this.#writes
      .then(() => writeFileAtomic(this.#file, snapshot, { mode: 0o600 }))
      .catch((error: unknown) => this.#logger.error({ err: error }, "could not save abuse blocks"));
  }
}

/** A rule's finding: who crossed which threshold, and for how long to block (null: until lifted). */
export interface AbuseTrip {
  rule: AbuseRuleId;
  reason: string;
  blockMinutes: number | null;
}
