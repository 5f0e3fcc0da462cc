// What the agent's components record their decisions through (issue 13): one call per decision, awaited
// before the reply the record describes is sent. The spool (spool.ts) numbers, writes and ships them; a
// component given none records nothing.
import type { MailLogEvent } from "@mailwarden/protocol";

export interface MailLog {
  /**
   * Appends `event` to the spool. Resolves once it is written to the spool file (fsynced at most a second
   * later), so a kill -9 after the reply loses nothing. Never rejects and never blocks mail for long: a
   * spool that cannot write drops the record and says so with a `gap` record.
   */
  record(event: MailLogEvent): Promise<void>;
}

/** Records nothing: for components and tests that do not log mail. */
export const noMailLog: MailLog = { record: () => Promise.resolve() };

/** Keeps every record in memory, for tests that assert what was recorded. */
export class MemoryMailLog implements MailLog {
  readonly records: MailLogEvent[] = [];
  record(event: MailLogEvent): Promise<void> {
    this.records.push(event);
    return Promise.resolve();
  }
  ofType<T extends MailLogEvent["type"]>(type: T): Extract<MailLogEvent, { type: T }>[] {
    return this.records.filter((r): r is Extract<MailLogEvent, { type: T }> => r.type === type);
  }
}
