// Row 22: which list members' copies bounce, and which of them copies now skip. Bounces come from two
// places — this server's own delivery attempts that fail for good, and delivery status notifications
// other servers send to <list>-bounces (./bounce-report.ts) — and are counted as Mailman counts them: at
// most one per day, the count starting over after LIST_BOUNCE_STALE_DAYS without one, and the member
// paused once LIST_BOUNCE_PAUSE_DAYS days had one. A paused member stays paused until an admin resumes
// them in the console (the config's `resumes`: bounces before that time are forgotten) or removes them.
// Kept in <stateDir>/list-bounces.json, written atomically before the bounce is acknowledged; members
// and lists no longer in the config are dropped at the next write.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LIST_BOUNCE_PAUSE_DAYS, LIST_BOUNCE_STALE_DAYS, type ListBounceReport } from "@mailwarden/protocol";
import type { Logger } from "pino";
import { findMailingList, type ActiveConfig, type LocalMailingList } from "../smtp/active-config";
import { writeFileAtomic } from "../state/atomic-write";

const DAY_MS = 86_400_000;
/** Counted days kept per member: more than a pause needs, so a late resume still finds the history. */
const MAX_DAYS_KEPT = 2 * LIST_BOUNCE_PAUSE_DAYS;

export interface ListBounce {
  /** RFC 3463, e.g. 5.1.1. */
  status: string;
  /** The reply or diagnostic, one line. */
  diagnostic: string;
  source: ListBounceReport["lastSource"];
}

interface MemberRecord {
  /** Epoch ms of the first bounce of each day that had one, oldest first. */
  days: number[];
  last: ListBounce & { at: number };
}

/** list address → member → record; both lower-cased. */
type Ledger = Record<string, Record<string, MemberRecord>>;

export interface Standing {
  bounceDays: number;
  /** Epoch ms of the bounce that paused the member; null while copies still go out. */
  pausedAt: number | null;
}

/** Where a member stands, from their counted days (oldest first), the resume time and now. */
export function standingOf(days: readonly number[], resumedAt: number, now: number): Standing {
  let count = 0;
  let previous: number | null = null;
  for (const day of days) {
    if (day <= resumedAt) continue;
    if (previous !== null && day - previous > LIST_BOUNCE_STALE_DAYS * DAY_MS) count = 0;
    count += 1;
    previous = day;
    if (count >= LIST_BOUNCE_PAUSE_DAYS) return { bounceDays: count, pausedAt: day };
  }
  if (previous === null || now - previous > LIST_BOUNCE_STALE_DAYS * DAY_MS) {
    return { bounceDays: 0, pausedAt: null };
  }
  return { bounceDays: count, pausedAt: null };
}

export class ListBounceLedger {
  readonly #file: string;
  readonly #config: () => ActiveConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  #ledger: Ledger;
  #writes: Promise<void> = Promise.resolve();
  readonly #listeners = new Set<() => void>();

  private constructor(file: string, ledger: Ledger, options: LedgerOptions) {
    this.#file = file;
    this.#ledger = ledger;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  static async open(options: LedgerOptions): Promise<ListBounceLedger> {
    const file = path.join(options.stateDir, "list-bounces.json");
    return new ListBounceLedger(file, await readLedger(file, options.logger), options);
  }

  /** Called when a member is newly paused (the dashboard hears of it without waiting). */
  onPause(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether copies of `list` skip `member` now. */
  isPaused(list: LocalMailingList, member: string): boolean {
    const record = this.#ledger[list.address]?.[member.toLowerCase()];
    return record !== undefined && this.#standing(list, member.toLowerCase(), record).pausedAt !== null;
  }

  /**
   * Counts a bounce of `member`'s copy of `list` (one per day) and saves the ledger before it resolves.
   * Bounces for addresses that are not members are not counted: false.
   */
  async record(list: LocalMailingList, member: string, bounce: ListBounce): Promise<boolean> {
    const address = member.toLowerCase();
    if (!list.members.has(address)) return false;
    const now = this.#now();
    const records = (this.#ledger[list.address] ??= {});
    const record = records[address];
    const wasPaused = record !== undefined && this.#standing(list, address, record).pausedAt !== null;
    const days = record?.days ?? [];
    const lastDay = days.at(-1);
    const sameDay = lastDay !== undefined && Math.floor(lastDay / DAY_MS) === Math.floor(now / DAY_MS);
    const updated: MemberRecord = {
      days: sameDay ? days : [...days, now].slice(-MAX_DAYS_KEPT),
      last: { ...bounce, diagnostic: oneLine(bounce.diagnostic), at: now },
    };
    records[address] = updated;
    await this.#save();
    const standing = this.#standing(list, address, updated);
    this.#logger.info(
      {
        rule: "mailing-list-bounces",
        list: list.address,
        member: address,
        status: bounce.status,
        source: bounce.source,
        bounceDays: standing.bounceDays,
        paused: standing.pausedAt !== null,
      },
      standing.pausedAt !== null && !wasPaused ? "list member paused after bounces" : "list bounce counted",
    );
    if (standing.pausedAt !== null && !wasPaused) for (const listener of this.#listeners) listener();
    return true;
  }

  /** Members with a count or a pause, for the posture; lists and members gone from the config left out. */
  reports(): ListBounceReport[] {
    const reports: ListBounceReport[] = [];
    for (const [listAddress, members] of Object.entries(this.#ledger)) {
      const list = findMailingList(this.#config(), listAddress);
      if (!list) continue;
      for (const [member, record] of Object.entries(members)) {
        if (!list.members.has(member)) continue;
        const standing = this.#standing(list, member, record);
        if (standing.bounceDays === 0) continue;
        reports.push({
          list: list.address,
          member,
          bounceDays: standing.bounceDays,
          lastBounceAt: new Date(record.last.at).toISOString(),
          lastStatus: record.last.status.slice(0, 16),
          lastDiagnostic: record.last.diagnostic.slice(0, 300),
          lastSource: record.last.source,
          pausedAt: standing.pausedAt === null ? null : new Date(standing.pausedAt).toISOString(),
        });
      }
    }
    return reports;
  }

  /** Resolves once every write started so far is on disk. */
  flush(): Promise<void> {
    return this.#writes;
  }

  #standing(list: LocalMailingList, member: string, record: MemberRecord): Standing {
    return standingOf(record.days, list.resumes.get(member) ?? 0, this.#now());
  }

  /** Writes the ledger, without lists, members and counts that no longer matter; one write at a time. */
  #save(): Promise<void> {
    const write = this.#writes.then(async () => {
      const config = this.#config();
      const kept: Ledger = {};
      for (const [listAddress, members] of Object.entries(this.#ledger)) {
        const list = findMailingList(config, listAddress);
        if (!list) continue;
        for (const [member, record] of Object.entries(members)) {
          if (!list.members.has(member) || this.#standing(list, member, record).bounceDays === 0) continue;
          (kept[listAddress] ??= {})[member] = record;
        }
      }
      this.#ledger = kept;
      await writeFileAtomic(this.#file, JSON.stringify(kept), { mode: 0o600 });
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }
}

export interface LedgerOptions {
  stateDir: string;
  /** The config in force now: members, resumes. */
  config: () => ActiveConfig;
  logger: Logger;
  /** Epoch ms; tests move it across days. */
  now?: () => number;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}

async function readLedger(file: string, logger: Logger): Promise<Ledger> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  try {
    return parseLedger(JSON.parse(text));
  } catch (error) {
    // written atomically by this code only: unreadable means damaged; counting afresh pauses nobody wrongly
    logger.error({ file, err: (error as Error).message }, "list bounce ledger unreadable; counting afresh");
    return {};
  }
}

function parseLedger(value: unknown): Ledger {
  const ledger: Ledger = {};
  if (!isObject(value)) throw new Error("not an object");
  for (const [list, members] of Object.entries(value)) {
    if (!isObject(members)) continue;
    for (const [member, record] of Object.entries(members)) {
      if (!isObject(record) || !Array.isArray(record.days) || !isObject(record.last)) continue;
      const { last } = record;
      if (typeof last.at !== "number" || typeof last.status !== "string") continue;
      (ledger[list] ??= {})[member] = {
        days: record.days.filter((day): day is number => typeof day === "number"),
        last: {
          at: last.at,
          status: last.status,
          diagnostic: typeof last.diagnostic === "string" ? last.diagnostic : "",
          source: last.source === "dsn" ? "dsn" : "delivery",
        },
      };
    }
  }
  return ledger;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
