// Ships the spool's records to the hub (issue 13, PROTOCOL.md "Mail log"): once the hub has welcomed the
// agent, `agent.logs` batches of unacknowledged records go out in order, up to LOG_BATCH_WINDOW of them
// unacknowledged at a time. A `hub.logs.ack` lets the spool delete what the batch held (in order: a
// later batch acknowledged first waits for the earlier ones) and makes room for the next batch. A new
// connection starts again after the last acknowledged record: whatever was in flight is sent again, and
// the hub's ingest, idempotent on (server, sequence), keeps each record once.
import type { Logger } from "pino";
import { LOG_BATCH_WINDOW, MAX_FRAME_BYTES, MAX_LOG_BATCH_RECORDS } from "@mailwarden/protocol";
import type { MailLogSpool, SpooledRecord } from "./spool";

/** Records' JSON per batch: half the frame limit, so the frame around them always fits. */
export const MAX_LOG_BATCH_BYTES = Math.floor(MAX_FRAME_BYTES / 2);

/** Sends one text frame; false when the socket is no longer open. */
export type SendFrame = (frame: Buffer) => boolean;

/** What the hub client tells the shipper about the connection. */
export interface LogShipperLink {
  /** The hub welcomed the agent on a new connection: send from the last acknowledged record. */
  connected(send: SendFrame): void;
  /** The connection is gone: whatever was in flight is sent again on the next one. */
  disconnected(): void;
  acknowledged(ack: { batch: number; stored: number }): void;
}

export interface LogShipperOptions {
  spool: Pick<MailLogSpool, "readAfter" | "acknowledge" | "ackedSeq" | "onSynced">;
  logger: Logger;
  window?: number;
  maxRecords?: number;
  maxBytes?: number;
  /** After a failed read of the spool, wait this long before trying again. */
  retryMs?: number;
}

interface InFlight {
  batch: number;
  lastSeq: number;
  count: number;
  isAcked: boolean;
}

interface Session {
  send: SendFrame;
  /** The last number sent on this connection. */
  sentSeq: number;
  inFlight: InFlight[];
  isPumping: boolean;
  wantsPump: boolean;
}

export interface LogShipperStats {
  batches: number;
  records: number;
  acks: number;
}

export class LogShipper implements LogShipperLink {
  readonly #spool: LogShipperOptions["spool"];
  readonly #logger: Logger;
  readonly #window: number;
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  readonly #retryMs: number;
  #session: Session | null = null;
  /** Batch ids go up for the agent's lifetime, so an ack can never be taken for another connection's. */
  #nextBatch = 1;
  #retryTimer: NodeJS.Timeout | null = null;
  readonly #unsubscribe: () => void;
  readonly stats: LogShipperStats = { batches: 0, records: 0, acks: 0 };

  constructor(options: LogShipperOptions) {
    this.#spool = options.spool;
    this.#logger = options.logger;
    this.#window = options.window ?? LOG_BATCH_WINDOW;
    this.#maxRecords = Math.min(options.maxRecords ?? MAX_LOG_BATCH_RECORDS, MAX_LOG_BATCH_RECORDS);
    this.#maxBytes = Math.min(options.maxBytes ?? MAX_LOG_BATCH_BYTES, MAX_LOG_BATCH_BYTES);
    this.#retryMs = options.retryMs ?? 1000;
    // new records (once an fdatasync covered them) wake the shipper
    this.#unsubscribe = this.#spool.onSynced(() => this.#pump());
  }

  /** Batches sent and not yet acknowledged on the current connection. */
  get inFlight(): number {
    return this.#session?.inFlight.length ?? 0;
  }

  connected(send: SendFrame): void {
    this.#session = {
      send,
      sentSeq: this.#spool.ackedSeq,
      inFlight: [],
      isPumping: false,
      wantsPump: false,
    };
    this.#pump();
  }

  disconnected(): void {
    this.#session = null;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  acknowledged(ack: { batch: number; stored: number }): void {
    const session = this.#session;
    const entry = session?.inFlight.find((candidate) => candidate.batch === ack.batch);
    if (!session || !entry || entry.isAcked) {
      this.#logger.warn(
        { batch: ack.batch },
        "hub acknowledged a mail log batch this connection has not in flight",
      );
      return;
    }
    // `stored` counts the records new to the hub: fewer than sent when a batch is sent again
    this.#logger.debug({ batch: ack.batch, sent: entry.count, stored: ack.stored }, "mail log batch stored");
    entry.isAcked = true;
    this.stats.acks += 1;
    let acknowledgedSeq = 0;
    while (session.inFlight[0]?.isAcked) acknowledgedSeq = session.inFlight.shift()!.lastSeq;
    if (acknowledgedSeq > 0) this.#spool.acknowledge(acknowledgedSeq);
    this.#pump();
  }

  /** Stops listening to the spool. */
  close(): void {
    this.disconnected();
    this.#unsubscribe();
  }

  #pump(): void {
    const session = this.#session;
    if (!session) return;
    if (session.isPumping) {
      session.wantsPump = true;
      return;
    }
    session.isPumping = true;
    void this.#fill(session)
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, "could not read the mail log spool; trying again");
        if (this.#session === session && !this.#retryTimer) {
          this.#retryTimer = setTimeout(() => {
            this.#retryTimer = null;
            this.#pump();
          }, this.#retryMs);
          this.#retryTimer.unref();
        }
      })
      .finally(() => {
        session.isPumping = false;
        if (session.wantsPump && this.#session === session) {
          session.wantsPump = false;
          this.#pump();
        }
      });
  }

  /** Sends batches until the window is full or nothing more is shippable. */
  async #fill(session: Session): Promise<void> {
    while (this.#session === session && session.inFlight.length < this.#window) {
      session.wantsPump = false;
      const records = await this.#spool.readAfter(session.sentSeq, this.#maxRecords, this.#maxBytes);
      if (this.#session !== session || records.length === 0) return;
      const batch = this.#nextBatch++;
      const frame = logsFrame(batch, records);
      if (frame.length > MAX_FRAME_BYTES) {
        // cannot happen with records the spool accepted; never send what the hub would refuse
        throw new Error(`mail log batch of ${frame.length} bytes is over the frame limit`);
      }
      if (!session.send(frame)) return;
      const lastSeq = records.at(-1)!.seq;
      session.inFlight.push({ batch, lastSeq, count: records.length, isAcked: false });
      session.sentSeq = lastSeq;
      this.stats.batches += 1;
      this.stats.records += records.length;
    }
  }
}

/** The `agent.logs` frame, spliced from the records' stored JSON (no parse, no re-encode). */
export function logsFrame(batch: number, records: readonly SpooledRecord[]): Buffer {
  const pieces: Buffer[] = [Buffer.from(`{"type":"agent.logs","batch":${batch},"records":[`)];
  const comma = Buffer.from(",");
  records.forEach((record, i) => {
    if (i > 0) pieces.push(comma);
    pieces.push(record.json);
  });
  pieces.push(Buffer.from("]}"));
  return Buffer.concat(pieces);
}
