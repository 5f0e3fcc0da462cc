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
  /** By id, in the order they were added. */
  readonly #blocks = new Map<string, AbuseBlock>();
  /** By "<kind>:<subject>" (lower case): what every connection and MAIL FROM asks, without a scan. */
  readonly #bySubject = new Map<string, AbuseBlock[]>();
  /** Set while a save is wanted; one write carries every change made before it starts. */
  #isDirty = false;
  #writing: Promise<void> | null = null;
  readonly #onExpired: (block: AbuseBlock) => void;

  private constructor(
    file: string,
    blocks: AbuseBlock[],
    logger: Logger,
    onExpired: (block: AbuseBlock) => void,
  ) {
    this.#file = file;
    this.#logger = logger;
    this.#onExpired = onExpired;
    for (const block of blocks) this.#index(block);
  }

  /**
   * Reads the saved blocks; a missing file is an empty list, an unreadable one is logged and ignored.
   * `onExpired` hears of each block found past its end as it is dropped (the mail log records the lift).
   */
  static async open(
    stateDir: string,
    logger: Logger,
    onExpired: (block: AbuseBlock) => void = () => undefined,
  ): Promise<AbuseBlockList> {
    const file = abuseBlocksPath(stateDir);
    let blocks: AbuseBlock[] = [];
    try {
      blocks = fileSchema.parse(JSON.parse(await readFile(file, "utf8"))).blocks;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        logger.error({ err: error, file }, "abuse blocks unreadable; starting without them");
      }
    }
    return new AbuseBlockList(file, blocks, logger, onExpired);
  }

  /** The blocks in force at `now` (expired ones are dropped on the way). */
  active(now = Date.now()): AbuseBlock[] {
    const live: AbuseBlock[] = [];
    for (const block of this.#blocks.values()) {
      if (isLive(block, now)) live.push(block);
      else this.#expire(block);
    }
    return live;
  }

  /** The block or delay on an address at `now`, a block before a delay. */
  forAddress(ip: string, now = Date.now()): AbuseBlock | undefined {
    const found = this.#forSubject("ip", ip, now);
    return found.find((block) => block.action === "block") ?? found[0];
  }

  /** The suspension of a user's sending, if any (user addresses compare case-insensitively). */
  forUser(user: string, now = Date.now()): AbuseBlock | undefined {
    return this.#forSubject("user", user, now)[0];
  }

  add(block: Omit<AbuseBlock, "id">): AbuseBlock {
    const added = { id: randomBytes(8).toString("hex"), ...block };
    this.#index(added);
    this.#save();
    return added;
  }

  /** Removes a block; null when there is no such block (lifted already, or expired). */
  lift(id: string, now = Date.now()): AbuseBlock | null {
    const found = this.#blocks.get(id);
    if (!found) return null;
    this.#remove(found);
    this.#save();
    if (isLive(found, now)) return found;
    this.#onExpired(found);
    return null;
  }

  /** Resolves once every change so far is on disk. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  #forSubject(kind: AbuseBlock["kind"], subject: string, now: number): AbuseBlock[] {
    const found = this.#bySubject.get(subjectKey(kind, subject)) ?? [];
    for (const block of found) if (!isLive(block, now)) this.#expire(block);
    return found.filter((block) => isLive(block, now));
  }

  #index(block: AbuseBlock): void {
    this.#blocks.set(block.id, block);
    const key = subjectKey(block.kind, block.subject);
    this.#bySubject.set(key, [...(this.#bySubject.get(key) ?? []), block]);
  }

  /** Drops a block whose time ran out; saved with the next change. */
  #expire(block: AbuseBlock): void {
    if (!this.#blocks.has(block.id)) return;
    this.#remove(block);
    this.#onExpired(block);
  }

  #remove(block: AbuseBlock): void {
    this.#blocks.delete(block.id);
    const key = subjectKey(block.kind, block.subject);
    const rest = (this.#bySubject.get(key) ?? []).filter((other) => other !== block);
    if (rest.length > 0) this.#bySubject.set(key, rest);
    else this.#bySubject.delete(key);
  }

  #save(): void {
    // Under a flood of new blocks, writes do not queue up: the next one takes everything so far.
    this.#isDirty = true;
    this.#writing ??= (async () => {
      while (this.#isDirty) {
        this.#isDirty = false;
        const snapshot = JSON.stringify({ version: 1, blocks: [...this.#blocks.values()] });
        await writeFileAtomic(this.#file, snapshot, { mode: 0o600 }).catch((error: unknown) =>
          this.#logger.error({ err: error }, "could not save abuse blocks"),
        );
      }
      this.#writing = null;
    })();
  }
}

function isLive(block: AbuseBlock, now: number): boolean {
  return block.until === null || Date.parse(block.until) > now;
}

function subjectKey(kind: AbuseBlock["kind"], subject: string): string {
  return `${kind}:${subject.toLowerCase()}`;
}

/** A rule's finding: who crossed which threshold, and for how long to block (null: until lifted). */
export interface AbuseTrip {
  rule: AbuseRuleId;
  reason: string;
  blockMinutes: number | null;
}
