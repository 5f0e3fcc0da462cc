// The delivery worker: takes every queue entry to its recipients — local ones into their Maildir, remote
// ones over SMTP to their domain's MX (one connection per domain per attempt) — retries temporary
// failures on the policy's schedule (row 24), fails the rest, and bounces failures to the sender when
// policy row 6 allows. It runs at start (finishing whatever a crash interrupted), as soon as a message
// is queued, and on a timer for retries. The dashboard's queue view will use list / retryNow /
// resetRetries / delete / bounce.
//
// Crash safety, step by step: copies are written before the entry records them; a DSN is queued under a
// deterministic id (<id>D<n>) before the entry records it, and only starts moving once the entry is
// saved (or removed); an entry is removed only when every recipient is delivered or failed and
// reported. Whatever step a crash interrupts is redone at start without a second copy or bounce.
import type { Logger } from "pino";
import type { DnsResolver } from "../dns/resolver";
import type { DirectorySync } from "../queue/durable-files";
import type { MailQueue, NewQueueEntry, QueueEntry, QueueRecipient } from "../queue/queue";
import type { ListBounceLedger } from "../lists/bounce-ledger";
import { noMailLog, type MailLog } from "../mail-log/mail-log";
import {
  findDomain,
  findListByBounceAddress,
  findMailbox,
  splitAddress,
  type ActiveConfig,
} from "../smtp/active-config";
import { AutoReplyLedger, autoReplyDecision, buildAutoReply, parseHeaders } from "./auto-reply";
import { bounceDecision, buildDsn } from "./dsn";
import { deliverLocallyOnce, maildirName } from "./local-delivery";
import { deliverRemote, statusOf, type RecipientOutcome } from "./remote-delivery";
import { retryDelayMs } from "./retry";
import { address as logAddress, enhancedStatusOf } from "../smtp/mail-log-records";
import { messageIdOf } from "../smtp/message-headers";
import type { MailDirection } from "@mailwarden/protocol";
import { routeOf, type DeliveryRoute } from "./routing";

export interface DeliverySettings {
  /** Port of remote MX hosts: 25, except in tests (a fake MX on loopback). */
  remotePort: number;
  /** The queue is looked at at least this often, even when nothing seems due. */
  queueRunIntervalMs: number;
  /** Entries worked on at the same time, in each lane (local-only, and with remote recipients). */
  concurrency: number;
  connectTimeoutMs: number;
  socketTimeoutMs: number;
  /** Verify remote servers' certificates on STARTTLS (off: opportunistic TLS). */
  verifyTls: boolean;
  /** Replaces the policy's retry schedule (minutes, fractions allowed): for tests only. */
  retryScheduleOverrideMinutes?: number[] | undefined;
}

export interface DeliveryWorkerOptions {
  queue: MailQueue;
  stateDir: string;
  hostname: string;
  resolver: DnsResolver;
  /** The config in force now (the mail server's current snapshot). */
  config: () => ActiveConfig;
  settings: DeliverySettings;
  logger: Logger;
  sync?: DirectorySync;
  /** Row 21: entries that wait untouched (their sender's sending is suspended); kick() once released. */
  isHeld?: ((entry: QueueEntry) => boolean) | undefined;
  /** Row 22: where a list copy that failed for good counts as its member's bounce. */
  listBounces: ListBounceLedger;
  /** Issue 13: each delivery attempt's outcome per recipient, DSNs and auto-replies queued. */
  mailLog?: MailLog | undefined;
}

export interface QueueListingRecipient {
  address: string;
  local: boolean;
  state: QueueRecipient["state"];
  attempts: number;
  /** null once the recipient is delivered or failed. */
  nextAttemptAt: string | null;
  lastError: string | null;
}

export interface QueueListingEntry {
  id: string;
  mailFrom: string;
  receivedAt: string;
  /** Bytes of the message; null for entries queued before sizes were recorded. */
  size?: number | null;
  spf: string | null;
  /** A DSN this agent generated. */
  isBounce: boolean;
  /** Row 21: waits untouched while its sender's sending is suspended. */
  isHeld?: boolean;
  recipients: QueueListingRecipient[];
}

export interface QueueListing {
  size: number;
  oldestReceivedAt: string | null;
  entries: QueueListingEntry[];
}

interface Tracked {
  entry: QueueEntry;
  /** Loaded from disk at start: an interrupted attempt may have left copies behind. */
  recovered: boolean;
  /** After an unexpected error, the entry rests until then instead of spinning. */
  holdUntil: number;
  /** The message as just queued, for the first attempt; later attempts read it from the queue. */
  message?: Buffer | undefined;
}

type Outcome = RecipientOutcome & { index: number };

/** Recipients sent in one SMTP transaction: same domain, same headers to prepend, same relay host. */
interface RemoteGroup {
  domain: string;
  prepend: string;
  relay: Extract<DeliveryRoute, { via: "relay" }> | undefined;
  indexes: number[];
}

const ERROR_HOLD_MS = 60_000;

export class DeliveryWorker {
  readonly #queue: MailQueue;
  readonly #options: DeliveryWorkerOptions;
  readonly #logger: Logger;
  readonly #sync: DirectorySync;
  readonly #entries = new Map<string, Tracked>();
  readonly #lanes = {
    local: { ready: [] as string[], running: 0 },
    remote: { ready: [] as string[], running: 0 },
  };
  readonly #readySet = new Set<string>();
  readonly #busy = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #knownMaildirs = new Set<string>();
  readonly #abort = new AbortController();
  readonly #autoReplies: AutoReplyLedger;
  readonly #mailLog: MailLog;
  #timer: NodeJS.Timeout | null = null;
  #armQueued = false;
  #started = false;
  #stopped = false;
  readonly #unsubscribe: () => void;

  constructor(options: DeliveryWorkerOptions) {
    this.#options = options;
    this.#queue = options.queue;
    this.#logger = options.logger;
    this.#mailLog = options.mailLog ?? noMailLog;
    this.#sync = options.sync ?? options.queue.directorySync;
    this.#autoReplies = new AutoReplyLedger(options.stateDir);
    // Subscribe at once: a message queued while start() is still reading the folder is not missed.
    this.#unsubscribe = this.#queue.onEnqueued((entry, message) => this.#admit(entry, false, message));
  }

  /** Entries not fully delivered yet. */
  get size(): number {
    return this.#entries.size;
  }

  /** Loads the queue (recovering what a crash left), settles finished entries, then starts delivering. */
  async start(): Promise<void> {
    const entries = await this.#queue.open();
    for (const entry of entries) {
      if (!this.#entries.has(entry.id)) this.#entries.set(entry.id, { entry, recovered: true, holdUntil: 0 });
    }
    // Bounces and removals a crash interrupted are finished before anything is delivered, so a DSN
    // found on disk can never have been sent already while its entry still waits to record it.
    for (const [id, tracked] of [...this.#entries]) {
      if (!tracked.recovered || !needsSettling(tracked.entry)) continue;
      await this.#withLock(id, () => this.#settle(id, structuredClone(tracked.entry), false)).catch(
        (error: unknown) => this.#logger.error({ id, err: error }, "could not finish a recovered entry"),
      );
    }
    this.#started = true;
    if (entries.length > 0) this.#logger.info({ entries: this.#entries.size }, "queue recovered");
    this.#scan();
  }

  /** Stops timers, aborts remote connections and waits for attempts in progress to record what they did. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe();
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort();
    await Promise.allSettled([...this.#running]);
  }

  /** Queues a message this agent itself sends (or a test's); delivery starts at once. */
  submit(input: NewQueueEntry, message: Uint8Array): Promise<QueueEntry> {
    return this.#queue.enqueue(input, message);
  }

  /** Folder fsyncs requested vs made, queue and Maildir writes together (group commit). */
  get syncStats(): { requests: number; fsyncs: number } {
    return this.#queue.syncStats;
  }

  /** Looks for due work now (also what the timer does). */
  kick(): void {
    this.#scan();
  }

  list(): QueueListing {
    const entries = [...this.#entries.values()]
      .map(({ entry }) => entry)
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
    return {
      size: entries.length,
      oldestReceivedAt: entries[0]?.receivedAt ?? null,
      entries: entries.map((entry) => ({
        id: entry.id,
        mailFrom: entry.mailFrom,
        receivedAt: entry.receivedAt,
        size: entry.size ?? null,
        spf: entry.spf ?? null,
        isBounce: entry.dsnOf !== undefined,
        isHeld: this.#options.isHeld?.(entry) === true,
        recipients: entry.recipients.map((recipient) => ({
          address: recipient.address,
          local: recipient.mailbox !== undefined,
          state: recipient.state,
          attempts: recipient.attempts,
          nextAttemptAt: recipient.state === "pending" ? recipient.nextAttemptAt : null,
          lastError: recipient.lastError ?? null,
        })),
      })),
    };
  }

  /** Makes every pending recipient of the entry due now. False when there is no such entry. */
  retryNow(id: string): Promise<boolean> {
    return this.#adminChange(id, "retry now", (entry, now) => {
      for (const recipient of pending(entry)) recipient.nextAttemptAt = now;
    });
  }

  /** Starts the retry schedule over for the pending recipients (attempt counts back to 0), due now. */
  resetRetries(id: string): Promise<boolean> {
    return this.#adminChange(id, "reset retries", (entry, now) => {
      for (const recipient of pending(entry)) {
        recipient.attempts = 0;
        recipient.nextAttemptAt = now;
      }
    });
  }

  /** Fails every pending recipient now; a DSN follows if policy row 6 allows. */
  async bounce(id: string): Promise<boolean> {
    let returned: { entry: QueueEntry; recipients: QueueRecipient[] } | undefined;
    const found = await this.#adminChange(id, "bounce", (entry, now) => {
      const recipients = pending(entry);
      for (const recipient of recipients) {
        recipient.state = "failed";
        recipient.status = "5.0.0";
        recipient.lastError = "returned to the sender by the administrator";
        recipient.finishedAt = now;
      }
      returned = { entry, recipients };
    });
    // The mail log says where each of these recipients' copies went: back, by an admin's decision.
    for (const recipient of returned?.recipients ?? []) {
      const response = recipient.lastError ?? "";
      await this.#recordDelivery(
        returned!.entry,
        recipient,
        {
          index: -1,
          address: recipient.address,
          outcome: "failed",
          response,
          status: "5.0.0",
          remoteMta: "administrator",
        },
        undefined,
      );
    }
    return found;
  }

  /** Drops the entry without delivering or bouncing it. */
  async delete(id: string): Promise<boolean> {
    if (!this.#entries.has(id)) return false;
    return this.#withLock(id, async () => {
      if (!this.#entries.has(id)) return false;
      await this.#queue.remove(id);
      this.#entries.delete(id);
      this.#logger.info({ id, action: "delete" }, "queue entry deleted by the administrator");
      return true;
    });
  }

  async #adminChange(
    id: string,
    action: string,
    change: (entry: QueueEntry, now: string) => void,
  ): Promise<boolean> {
    if (!this.#entries.has(id)) return false;
    const found = await this.#withLock(id, async () => {
      const tracked = this.#entries.get(id);
      if (!tracked) return false;
      const entry = structuredClone(tracked.entry);
      change(entry, new Date().toISOString());
      tracked.holdUntil = 0;
      await this.#settle(id, entry, true);
      this.#logger.info({ id, action }, "queue entry changed by the administrator");
      return true;
    });
    if (found) this.#enqueueReady(id);
    return found;
  }

  #admit(entry: QueueEntry, recovered: boolean, message?: Uint8Array): void {
    if (this.#stopped || this.#entries.has(entry.id)) return;
    const bytes = message && Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    this.#entries.set(entry.id, { entry, recovered, holdUntil: 0, message: bytes });
    if (this.#started) this.#enqueueReady(entry.id);
  }

  #enqueueReady(id: string): void {
    if (this.#stopped || this.#readySet.has(id)) return;
    const tracked = this.#entries.get(id);
    if (!tracked) return;
    // Local-only work has its own lane, so MX hosts that time out never hold up Maildir deliveries.
    const lane = hasRemoteWork(tracked.entry, this.#options.config())
      ? this.#lanes.remote
      : this.#lanes.local;
    lane.ready.push(id);
    this.#readySet.add(id);
    this.#pump();
  }

  #pump(): void {
    for (const lane of [this.#lanes.local, this.#lanes.remote]) {
      while (!this.#stopped && lane.running < this.#options.settings.concurrency && lane.ready.length > 0) {
        const id = lane.ready.shift()!;
        this.#readySet.delete(id);
        if (!this.#entries.has(id) || this.#busy.has(id) || this.#isHeld(id)) continue;
        this.#busy.add(id);
        lane.running += 1;
        const run = this.#withLock(id, () => this.#attempt(id))
          .catch((error: unknown) => {
            this.#logger.error({ id, err: error }, "delivery attempt failed unexpectedly");
            const tracked = this.#entries.get(id);
            if (tracked) tracked.holdUntil = Date.now() + ERROR_HOLD_MS;
          })
          .finally(() => {
            this.#busy.delete(id);
            this.#running.delete(run);
            lane.running -= 1;
            this.#pump();
            this.#arm();
          });
        this.#running.add(run);
      }
    }
  }

  /** Queues every entry that has something due, then sets the timer for the next one. */
  #scan(): void {
    if (this.#stopped || !this.#started) return;
    const now = Date.now();
    for (const [id, tracked] of this.#entries) {
      if (this.#busy.has(id) || this.#readySet.has(id) || tracked.holdUntil > now) continue;
      if (nextDue(tracked.entry) <= now || needsSettling(tracked.entry)) this.#enqueueReady(id);
    }
    this.#arm();
  }

  /** Sets the timer to the earliest next attempt (batched: one computation per tick). */
  #arm(): void {
    if (this.#stopped || this.#armQueued) return;
    this.#armQueued = true;
    setImmediate(() => {
      this.#armQueued = false;
      if (this.#stopped) return;
      let earliest = Infinity;
      for (const [id, tracked] of this.#entries) {
        if (this.#busy.has(id) || this.#readySet.has(id) || this.#isHeld(id)) continue;
        earliest = Math.min(earliest, Math.max(nextDue(tracked.entry), tracked.holdUntil));
      }
      const interval = this.#options.settings.queueRunIntervalMs;
      const delay = Math.min(Math.max(earliest - Date.now(), 5), interval);
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#scan(), delay);
      this.#timer.unref();
    });
  }

  #isHeld(id: string): boolean {
    const tracked = this.#entries.get(id);
    return tracked !== undefined && this.#options.isHeld?.(tracked.entry) === true;
  }

  async #withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chained = previous.then(() => mine);
    this.#locks.set(id, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.#locks.get(id) === chained) this.#locks.delete(id);
    }
  }

  /** One delivery attempt for the recipients of an entry that are due. */
  async #attempt(id: string): Promise<void> {
    const tracked = this.#entries.get(id);
    if (!tracked) return;
    const now = Date.now();
    const entry = structuredClone(tracked.entry);
    const due = entry.recipients
      .map((recipient, index) => ({ recipient, index }))
      .filter(({ recipient }) => recipient.state === "pending" && Date.parse(recipient.nextAttemptAt) <= now);
    if (due.length === 0) {
      if (needsSettling(entry)) await this.#settle(id, entry, false);
      return;
    }
    const message = tracked.message ?? (await this.#queue.readMessage(id));
    tracked.message = undefined;
    const config = this.#options.config();
    // Row 25: the server's role decides, per recipient, Maildir, the domain's MX or a relay host.
    const routes = due.map(({ recipient }) => routeOf(config, recipient.address, !!recipient.mailbox));
    const local = due.filter((_, position) => routes[position]!.via === "maildir");
    const remote = new Map<string, RemoteGroup>();
    due.forEach(({ recipient, index }, position) => {
      const route = routes[position]!;
      if (route.via === "maildir") return;
      const domain = splitAddress(recipient.address).domain;
      const relay = route.via === "relay" ? route : undefined;
      const key = `${domain}\n${recipient.prepend}\n${relay ? `${relay.host}:${relay.port}` : ""}`;
      const group = remote.get(key) ?? { domain, prepend: recipient.prepend, relay, indexes: [] };
      group.indexes.push(index);
      remote.set(key, group);
    });
    const outcomes = (
      await Promise.all([
        ...local.map(({ recipient, index }) =>
          this.#deliverLocal(
            entry,
            recipient,
            index,
            message,
            tracked.recovered || recipient.attempts > 0,
            config,
          ),
        ),
        ...[...remote.values()].map((group) => this.#deliverRemoteGroup(entry, group, message)),
      ])
    ).flat();
    const finishedAt = new Date().toISOString();
    const schedule =
      this.#options.settings.retryScheduleOverrideMinutes ?? config.server.retryScheduleMinutes;
    let changed = false;
    const records: Promise<void>[] = [];
    const messageId = outcomes.length > 0 ? messageIdOf(message) : undefined;
    for (const outcome of outcomes) {
      // an attempt cut short by shutdown is not an attempt: it is simply made again after the restart
      if (outcome.outcome === "deferred" && this.#abort.signal.aborted) continue;
      const recipient = entry.recipients[outcome.index]!;
      recipient.attempts += 1;
      changed = true;
      const log = {
        id,
        recipient: recipient.address,
        attempt: recipient.attempts,
        response: outcome.response,
      };
      if (outcome.outcome === "delivered") {
        recipient.state = "delivered";
        recipient.finishedAt = finishedAt;
        recipient.remoteMta = outcome.remoteMta;
        delete recipient.lastError;
        this.#logger.info({ ...log, outcome: "delivered", to: outcome.remoteMta }, "delivered");
        records.push(this.#recordDelivery(entry, recipient, outcome, messageId));
        continue;
      }
      recipient.lastError = outcome.response;
      if (outcome.remoteMta) recipient.remoteMta = outcome.remoteMta;
      const delay = outcome.outcome === "deferred" ? retryDelayMs(schedule, recipient.attempts) : null;
      if (delay !== null) {
        recipient.nextAttemptAt = new Date(now + delay).toISOString();
        this.#logger.info(
          { ...log, outcome: "deferred", nextAttemptAt: recipient.nextAttemptAt },
          "delivery deferred",
        );
        records.push(this.#recordDelivery(entry, recipient, outcome, messageId));
        continue;
      }
      recipient.state = "failed";
      recipient.finishedAt = finishedAt;
      if (outcome.outcome === "deferred") {
        recipient.status = outcome.status.startsWith("4.") ? outcome.status : "4.4.7";
        recipient.lastError = `${outcome.response} (gave up after ${recipient.attempts} attempts)`;
      } else {
        recipient.status = outcome.status;
      }
      this.#logger.info({ ...log, outcome: "failed", status: recipient.status }, "delivery failed");
      records.push(this.#recordDelivery(entry, recipient, outcome, messageId));
    }
    // In the log before the entry records the attempt: a crash in between repeats a record, never loses one.
    await Promise.all(records);
    tracked.recovered = false;
    await this.#settle(id, entry, changed);
    // The local-delivery hook: vacation replies (row 7) for the mailboxes this attempt delivered to.
    for (const outcome of outcomes) {
      const recipient = entry.recipients[outcome.index]!;
      if (outcome.outcome !== "delivered" || outcome.remoteMta !== "maildir") continue;
      await this.#autoReply(entry, outcome.index, message, config).catch((error: unknown) =>
        this.#logger.error({ id, recipient: recipient.address, err: error }, "auto-reply failed"),
      );
    }
  }

  /** Queues the mailbox's auto-reply to the original sender when policy row 7 and RFC 3834 allow. */
  async #autoReply(entry: QueueEntry, index: number, message: Buffer, config: ActiveConfig): Promise<void> {
    const ref = entry.recipients[index]!.mailbox!;
    const domain = findDomain(config, ref.domain);
    const mailbox = domain?.mailboxes.get(ref.localPart);
    if (!domain || !mailbox?.autoReply) return;
    const headers = parseHeaders(message);
    const decision = autoReplyDecision(entry, headers, mailbox.address, domain.policy.autoResponders);
    const log = { id: entry.id, mailbox: mailbox.address, to: entry.mailFrom };
    if (!decision.send) {
      this.#logger.info({ ...log, reason: decision.reason }, "no auto-reply");
      return;
    }
    const { intervalHours } = mailbox.autoReply;
    if (!(await this.#autoReplies.claim(mailbox.address, entry.mailFrom, intervalHours))) {
      this.#logger.info({ ...log, reason: `already answered within ${intervalHours}h` }, "no auto-reply");
      return;
    }
    const replyId = `${entry.id}A${index}`;
    if (this.#entries.has(replyId) || (await this.#queue.exists(replyId))) return;
    const reply = buildAutoReply({
      from: mailbox.address,
      to: entry.mailFrom,
      settings: mailbox.autoReply,
      original: headers,
      hostname: this.#options.hostname,
      id: replyId,
    });
    const local = findMailbox(config, entry.mailFrom);
    // RFC 3834 §3.3: replies go out with the null sender, so they are never answered or bounced in turn
    await this.#queue.enqueue(
      {
        id: replyId,
        mailFrom: "",
        recipients: [
          local
            ? {
                address: local.address,
                mailbox: { domain: splitAddress(local.address).domain, localPart: local.localPart },
              }
            : { address: entry.mailFrom },
        ],
      },
      reply,
    );
    this.#logger.info({ ...log, replyId }, "auto-reply queued");
    await this.#mailLog.record({
      type: "autoreply.sent",
      at: new Date().toISOString(),
      domain: domain.name,
      queueId: entry.id,
      replyQueueId: replyId,
      from: mailbox.address,
      to: logAddress(entry.mailFrom),
    });
  }

  /** One recipient's outcome of an attempt (issue 13): delivered, deferred (with the next try) or bounced. */
  #recordDelivery(
    entry: QueueEntry,
    recipient: QueueRecipient,
    outcome: Outcome,
    messageId: string | undefined,
  ): Promise<void> {
    const direction = directionOfDelivery(entry, recipient);
    const isDeferred = recipient.state === "pending";
    return this.#mailLog.record({
      type: "delivery",
      at: new Date().toISOString(),
      domain: direction === "outbound" ? senderDomain(entry) : domainOf(recipient.address),
      direction,
      queueId: entry.id,
      messageId,
      from: logAddress(entry.mailFrom),
      to: logAddress(recipient.address),
      outcome: recipient.state === "delivered" ? "delivered" : isDeferred ? "deferred" : "bounced",
      host: (outcome.remoteMta ?? splitAddress(recipient.address).domain).slice(0, 253),
      reply: (recipient.state === "failed"
        ? (recipient.lastError ?? outcome.response)
        : outcome.response
      ).slice(0, 1000),
      status:
        recipient.state === "failed"
          ? (recipient.status ?? "5.0.0")
          : outcome.outcome === "delivered"
            ? enhancedStatusOf(outcome.response) || "2.0.0"
            : outcome.status,
      attempt: recipient.attempts,
      ...(isDeferred && { nextAttemptAt: recipient.nextAttemptAt }),
    });
  }

  async #deliverLocal(
    entry: QueueEntry,
    recipient: QueueRecipient,
    index: number,
    message: Buffer,
    thorough: boolean,
    config: ActiveConfig,
  ): Promise<Outcome> {
    const mailbox = recipient.mailbox!;
    const address = recipient.address;
    if (config.revision !== null && !findDomain(config, mailbox.domain)?.mailboxes.has(mailbox.localPart)) {
      const response = "550 5.1.1 mailbox no longer exists";
      return { index, address, outcome: "failed", response, status: "5.1.1" };
    }
    try {
      const result = await deliverLocallyOnce(
        {
          stateDir: this.#options.stateDir,
          mailbox,
          folder: recipient.folder,
          name: maildirName(entry, index, this.#options.hostname),
          thorough,
        },
        recipient.prepend ? [Buffer.from(recipient.prepend), message] : message,
        this.#sync,
        this.#knownMaildirs,
      );
      const response =
        result === "written" ? "250 2.0.0 delivered to Maildir" : "250 2.0.0 already in Maildir";
      return { index, address, outcome: "delivered", response, remoteMta: "maildir" };
    } catch (error) {
      const response = `451 4.3.0 local delivery failed: ${(error as Error).message}`;
      return { index, address, outcome: "deferred", response, status: "4.3.0" };
    }
  }

  async #deliverRemoteGroup(entry: QueueEntry, group: RemoteGroup, message: Buffer): Promise<Outcome[]> {
    const addresses = group.indexes.map((index) => entry.recipients[index]!.address);
    if (group.relay) {
      const { host, port, rule } = group.relay;
      this.#logger.info(
        { id: entry.id, rule, recipients: addresses, relay: host, port },
        "routed to relay host",
      );
    }
    let outcomes: RecipientOutcome[];
    try {
      outcomes = await deliverRemote(
        {
          id: entry.id,
          domain: group.domain,
          mailFrom: entry.mailFrom,
          recipients: addresses,
          message: group.prepend ? Buffer.concat([Buffer.from(group.prepend), message]) : message,
          relay: group.relay,
        },
        {
          resolver: this.#options.resolver,
          hostname: this.#options.hostname,
          port: this.#options.settings.remotePort,
          connectTimeoutMs: this.#options.settings.connectTimeoutMs,
          socketTimeoutMs: this.#options.settings.socketTimeoutMs,
          verifyTls: this.#options.settings.verifyTls,
          logger: this.#logger,
          signal: this.#abort.signal,
        },
      );
    } catch (error) {
      const response = `451 4.4.0 delivery error: ${(error as Error).message}`;
      outcomes = addresses.map((address) => ({
        address,
        outcome: "deferred",
        response,
        status: statusOf(response),
      }));
    }
    return outcomes.map((outcome, position) => ({ ...outcome, index: group.indexes[position]! }));
  }

  /**
   * Reports failed recipients (a DSN or a recorded "suppressed"), then removes the entry when nothing is
   * pending, or saves it when something changed. Runs under the entry's lock.
   */
  async #settle(id: string, entry: QueueEntry, changed: boolean): Promise<void> {
    const tracked = this.#entries.get(id);
    if (!tracked) return;
    let dsn: QueueEntry | null = null;
    const unreported = entry.recipients.filter(
      (recipient) => recipient.state === "failed" && !recipient.bounce,
    );
    if (unreported.length > 0) {
      const config = this.#options.config();
      // Row 22: a list copy's failure is its member's bounce (counted once a day, so a redo after a
      // crash changes nothing); no DSN goes to the list's bounce address.
      const list = findListByBounceAddress(config, entry.mailFrom);
      if (list) {
        for (const recipient of unreported) {
          await this.#options.listBounces.record(list, recipient.address, {
            status: recipient.status ?? "5.0.0",
            diagnostic: recipient.lastError ?? "delivery failed",
            source: "delivery",
          });
        }
      }
      const decision = bounceDecision(entry, config);
      if (decision.send) {
        const dsnId = `${entry.id}D${entry.dsnCount}`;
        if (!this.#entries.has(dsnId) && !(await this.#queue.exists(dsnId))) {
          const queued = await this.#queueDsn(entry, dsnId, unreported, config);
          dsn = queued.dsn;
          await this.#mailLog.record({
            type: "dsn.sent",
            at: new Date().toISOString(),
            domain: entry.authenticatedUser ? senderDomain(entry) : domainOf(unreported[0]!.address),
            queueId: entry.id,
            dsnQueueId: dsnId,
            messageId: queued.messageId,
            to: logAddress(entry.mailFrom),
            action: "failed",
          });
        }
        entry.dsnCount += 1;
      }
      for (const recipient of unreported) recipient.bounce = decision.send ? "queued" : "suppressed";
      this.#logger.info(
        {
          id,
          recipients: unreported.map((recipient) => recipient.address),
          bounce: decision.send ? "queued" : "suppressed",
          reason: decision.reason,
          ...(decision.send && { dsnId: `${entry.id}D${entry.dsnCount - 1}` }),
        },
        decision.send ? "bounce queued" : "no bounce",
      );
      changed = true;
    }
    if (entry.recipients.every((recipient) => recipient.state !== "pending")) {
      await this.#queue.remove(id);
      this.#entries.delete(id);
      this.#logger.debug({ id }, "queue entry finished");
    } else if (changed) {
      await this.#queue.save(entry);
      tracked.entry = entry;
    }
    // the DSN moves only now that the entry records it (or is gone): a crash before this point makes
    // start() find both and send the DSN once
    if (dsn) this.#admit(dsn, false);
  }

  async #queueDsn(
    entry: QueueEntry,
    dsnId: string,
    failed: QueueRecipient[],
    config: ActiveConfig,
  ): Promise<{ dsn: QueueEntry; messageId: string | undefined }> {
    const original = await this.#queue.readMessage(entry.id);
    const message = buildDsn({
      reportingMta: this.#options.hostname,
      dsnId,
      queueId: entry.id,
      originalSender: entry.mailFrom,
      arrivalDate: new Date(entry.receivedAt),
      failed: failed.map((recipient) => ({
        address: recipient.address,
        status: recipient.status ?? "5.0.0",
        diagnostic: recipient.lastError ?? "delivery failed",
        remoteMta: recipient.remoteMta === "maildir" ? undefined : recipient.remoteMta,
        lastAttemptAt: recipient.finishedAt,
      })),
      original,
    });
    const mailbox = findMailbox(config, entry.mailFrom);
    const dsn = await this.#queue.enqueue(
      {
        id: dsnId,
        mailFrom: "",
        dsnOf: entry.id,
        recipients: [
          mailbox
            ? {
                address: mailbox.address,
                mailbox: { domain: splitAddress(mailbox.address).domain, localPart: mailbox.localPart },
              }
            : { address: entry.mailFrom },
        ],
      },
      message,
      { notify: false },
    );
    return { dsn, messageId: messageIdOf(original) };
  }
}

/**
 * outbound: a user's mail, or a notification this agent sends (DSN, auto-reply) that leaves; inbound:
 * mail for a local mailbox, or relayed onwards for a domain this server stands in for (backup MX).
 */
function directionOfDelivery(entry: QueueEntry, recipient: QueueRecipient): MailDirection {
  if (entry.authenticatedUser) return "outbound";
  if (recipient.mailbox) return "inbound";
  const isGenerated = entry.dsnOf !== undefined || (entry.mailFrom === "" && /A\d+$/.test(entry.id));
  return isGenerated ? "outbound" : "inbound";
}

/** The sending user's domain (else the envelope sender's); undefined for the null sender. */
function senderDomain(entry: QueueEntry): string | undefined {
  return domainOf(entry.authenticatedUser ?? entry.mailFrom);
}

function domainOf(address: string): string | undefined {
  return address.includes("@") ? splitAddress(address).domain.toLowerCase() : undefined;
}

/** Some pending recipient is delivered over SMTP (not into a local Maildir). */
function hasRemoteWork(entry: QueueEntry, config: ActiveConfig): boolean {
  return entry.recipients.some(
    (recipient) =>
      recipient.state === "pending" &&
      routeOf(config, recipient.address, !!recipient.mailbox).via !== "maildir",
  );
}

function pending(entry: QueueEntry): QueueRecipient[] {
  return entry.recipients.filter((recipient) => recipient.state === "pending");
}

/** When the entry's earliest pending recipient is due (Infinity when none is pending). */
function nextDue(entry: QueueEntry): number {
  let earliest = Infinity;
  for (const recipient of entry.recipients) {
    if (recipient.state === "pending") earliest = Math.min(earliest, Date.parse(recipient.nextAttemptAt));
  }
  return earliest;
}

/** Failed recipients not yet reported, or nothing left pending (the entry only needs removing). */
function needsSettling(entry: QueueEntry): boolean {
  return (
    entry.recipients.some((recipient) => recipient.state === "failed" && !recipient.bounce) ||
    nextDue(entry) === Infinity
  );
}
