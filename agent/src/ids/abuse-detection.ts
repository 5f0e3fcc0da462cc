// Row 21's engine: the mail server and POP3 report what they see (a connection, an unknown recipient, a
// failed or good login, an accepted message), the rules in this folder count it, and a rule that trips
// puts a block on the list. The listeners ask here before they greet a client or take a user's mail.
// Never blocked: the host itself and any address with a live row 19 whitelist entry. An address that
// logged in successfully within the grace period gets a delay (421 for a few minutes) instead of its
// first block, so one user's misconfigured phone does not lock out the office sharing its address.
import type { Policy } from "@mailwarden/policy";
import type { Logger } from "pino";
import type { MailLogEvent } from "@mailwarden/protocol";
import { noMailLog, type MailLog } from "../mail-log/mail-log";
import { domainOfAddress } from "../smtp/mail-log-records";
import { clientAddress, entriesFor, isHostItself } from "../smtp/ip-lists";
import type { Reply } from "../smtp/hostile/types";
import { AbuseBlockList, type AbuseBlock, type AbuseRuleId, type AbuseTrip } from "./block-list";
import { bruteForce } from "./brute-force";
import { denialOfService } from "./dos";
import { EventWindow } from "./event-window";
import { harvesting } from "./harvesting";
import { internalSpammer } from "./internal-spammer";

export interface AbuseRefusal {
  rule: AbuseRuleId;
  reply: Reply;
  /** Set when this very call put the block in place: its mail-log record, to await before the reply. */
  recorded?: Promise<void> | undefined;
}

export interface AbuseDetectionOptions {
  stateDir: string;
  logger: Logger;
  /** The server policy in force now. */
  policy(): Policy;
  /** Issue 13: blocks, delays and suspensions as they are put in place, and their lifting. */
  mailLog?: MailLog | undefined;
}

const whatWasTooMuch: Record<AbuseRuleId, string> = {
  "ids.dos": "too many connections",
  "ids.harvesting": "too many unknown recipients",
  "ids.brute-force": "too many failed logins",
  "ids.internal-spammer": "too many messages",
};

/** Expired blocks are looked for at most this often (their lift is recorded when they are found). */
const EXPIRY_SWEEP_MS = 60_000;

/** Successful logins remembered for the grace period; beyond this many, the oldest are forgotten. */
const MAX_REMEMBERED_LOGINS = 10_000;

export class AbuseDetection {
  #blocks!: AbuseBlockList;
  readonly #options: AbuseDetectionOptions;
  readonly #connections = new EventWindow();
  readonly #unknownRecipients = new EventWindow();
  readonly #failedLogins = new EventWindow();
  readonly #submissions = new EventWindow();
  /** Address → time of its last successful login. */
  readonly #recentLogins = new Map<string, number>();
  readonly #mailLog: MailLog;
  readonly #listeners = new Set<(block: AbuseBlock, change: "suspended" | "lifted") => void>();
  /** Mail-log records not written yet; flush() waits for them. */
  readonly #recording = new Set<Promise<void>>();
  #nextSweep = 0;

  private constructor(options: AbuseDetectionOptions) {
    this.#options = options;
    this.#mailLog = options.mailLog ?? noMailLog;
  }

  static async open(options: AbuseDetectionOptions): Promise<AbuseDetection> {
    const detection = new AbuseDetection(options);
    detection.#blocks = await AbuseBlockList.open(options.stateDir, options.logger, (block) =>
      detection.#recordLift(block, "expired"),
    );
    return detection;
  }

  /** A new connection: refused while the address is blocked or delayed; counted for the DoS rule. */
  admit(ip: string, now = Date.now()): AbuseRefusal | null {
    this.#sweepExpired(now);
    const address = clientAddress(ip).address;
    if (this.#isExempt(address, now)) return null;
    const existing = this.#blocks.forAddress(address, now);
    if (existing) return refusalAtConnect(existing);
    const trip = denialOfService(this.#policy().abuseDenialOfService, this.#connections, address, now);
    if (!trip) return null;
    const block = this.#blockAddress(address, trip, now);
    return { ...refusalAtConnect(block), recorded: this.#recordBlock(block) };
  }

  /** A recipient refused as unknown; a refusal (421, closing) once the harvesting rule trips. */
  unknownRecipient(ip: string, sessionId: string, now = Date.now()): AbuseRefusal | null {
    const address = clientAddress(ip).address;
    if (this.#isExempt(address, now)) return null;
    const existing = this.#blocks.forAddress(address, now);
    if (existing) return refusalInSession(existing);
    const trip = harvesting(this.#policy().abuseHarvesting, this.#unknownRecipients, address, sessionId, now);
    if (!trip) return null;
    const block = this.#blockAddress(address, trip, now);
    return { ...refusalInSession(block), recorded: this.#recordBlock(block) };
  }

  /** A session ended: its own count of unknown recipients goes (the address's count stays). */
  sessionClosed(sessionId: string): void {
    this.#unknownRecipients.clear(`session:${sessionId}`);
  }

  /** A failed SMTP AUTH or POP3 login; a refusal (closing) once the brute-force rule trips. */
  loginFailed(ip: string, now = Date.now()): AbuseRefusal | null {
    const address = clientAddress(ip).address;
    if (this.#isExempt(address, now)) return null;
    // A session opened before the block keeps failing: it ends too, under the same block.
    const existing = this.#blocks.forAddress(address, now);
    if (existing) return refusalInSession(existing);
    const trip = bruteForce(this.#policy().abuseBruteForce, this.#failedLogins, address, now);
    if (!trip) return null;
    const block = this.#blockAddress(address, trip, now);
    return { ...refusalInSession(block), recorded: this.#recordBlock(block) };
  }

  /** A successful login: the address earns the grace period (a delay before its first block). */
  loginSucceeded(ip: string, now = Date.now()): void {
    const address = clientAddress(ip).address;
    if (this.#isExempt(address, now)) return;
    this.#recentLogins.delete(address);
    this.#recentLogins.set(address, now);
    if (this.#recentLogins.size > MAX_REMEMBERED_LOGINS) {
      this.#recentLogins.delete(this.#recentLogins.keys().next().value!);
    }
  }

  /**
   * A message accepted from a logged-in user; the internal-spammer rule may suspend them. Returns the
   * suspension's mail-log record when this message tripped it (the reply waits for it), else null.
   */
  messageAccepted(user: string, now = Date.now()): Promise<void> | null {
    if (this.#blocks.forUser(user)) return null;
    const trip = internalSpammer(this.#policy().abuseInternalSpammer, this.#submissions, user, now);
    if (!trip) return null;
    const block = this.#blocks.add({
      kind: "user",
      subject: user.toLowerCase(),
      rule: trip.rule,
      action: "suspend",
      reason: trip.reason,
      since: new Date(now).toISOString(),
      until: null,
    });
    this.#options.logger.warn(
      { rule: trip.rule, user: block.subject, reason: trip.reason, block: block.id, outcome: "suspend" },
      "abuse detected: sending suspended and queued mail held",
    );
    const recorded = this.#recordBlock(block);
    for (const listener of this.#listeners) listener(block, "suspended");
    return recorded;
  }

  /** The refusal of a suspended user's MAIL FROM, or null. */
  sendingSuspension(user: string): AbuseRefusal | null {
    const block = this.#blocks.forUser(user);
    if (!block) return null;
    return {
      rule: block.rule,
      reply: {
        code: 550,
        message: `5.7.1 Sending suspended for ${block.subject} (${whatWasTooMuch[block.rule]}: ${block.reason}); ask your administrator to lift it`,
      },
    };
  }

  /** Whether mail queued by `user` waits (their sending is suspended). */
  isHeld(user: string | undefined): boolean {
    return user !== undefined && this.#blocks.forUser(user) !== undefined;
  }

  /** The blocks, delays and suspensions in force. */
  list(now = Date.now()): AbuseBlock[] {
    return this.#blocks.active(now);
  }

  /** An administrator lifts a block; false when there was none by that id. */
  lift(id: string): boolean {
    const lifted = this.#blocks.lift(id);
    if (!lifted) return false;
    if (lifted.kind === "ip") {
      // A fresh start: the counts that led to the block would trip it again at once.
      this.#connections.clear(lifted.subject);
      this.#failedLogins.clear(lifted.subject);
      this.#unknownRecipients.clear(`ip:${lifted.subject}`);
    } else {
      this.#submissions.clear(lifted.subject);
    }
    this.#options.logger.info(
      { rule: lifted.rule, kind: lifted.kind, subject: lifted.subject, block: id, outcome: "lifted" },
      "abuse block lifted by an administrator",
    );
    void this.#recordLift(lifted, "console");
    for (const listener of this.#listeners) listener(lifted, "lifted");
    return true;
  }

  /**
   * Called after each lift (the delivery worker releases a user's held mail) and each suspension (the
   * dashboard hears of it at once). Address blocks, which can come by the thousand, are not announced.
   */
  onChange(listener: (block: AbuseBlock, change: "suspended" | "lifted") => void): void {
    this.#listeners.add(listener);
  }

  /** Resolves once every block change so far is saved, and in the mail log. */
  async flush(): Promise<void> {
    await Promise.all([this.#blocks.flush(), ...this.#recording]);
  }

  #recordBlock(block: AbuseBlock): Promise<void> {
    return this.#record({
      type: "abuse.blocked",
      at: block.since,
      ...(block.kind === "user" && { domain: domainOfAddress(block.subject) }),
      kind: block.kind,
      subject: block.subject,
      rule: block.rule,
      action: block.action,
      reason: block.reason.slice(0, 300),
      until: block.until,
    });
  }

  #recordLift(block: AbuseBlock, by: "console" | "expired"): Promise<void> {
    return this.#record({
      // An expired block ended at its time, whenever it is found.
      type: "abuse.lifted",
      at: by === "expired" && block.until ? block.until : new Date().toISOString(),
      ...(block.kind === "user" && { domain: domainOfAddress(block.subject) }),
      kind: block.kind,
      subject: block.subject,
      rule: block.rule,
      by,
    });
  }

  #record(event: MailLogEvent): Promise<void> {
    const recording = this.#mailLog.record(event);
    this.#recording.add(recording);
    void recording.then(() => this.#recording.delete(recording));
    return recording;
  }

  /** Drops the blocks whose time ran out (recording each lift), at most once per EXPIRY_SWEEP_MS. */
  #sweepExpired(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + EXPIRY_SWEEP_MS;
    this.#blocks.active(now);
  }

  #policy(): Policy {
    return this.#options.policy();
  }

  #isExempt(address: string, now: number): boolean {
    return isHostItself(address) || entriesFor(this.#policy().ipWhitelist, address, now).length > 0;
  }

  #blockAddress(address: string, trip: AbuseTrip, now: number): AbuseBlock {
    const grace = this.#policy().abuseLoginGrace;
    const lastLogin = this.#recentLogins.get(address);
    const isGraced = lastLogin !== undefined && now - lastLogin <= grace.trustMinutes * 60_000;
    // The grace is spent: the next trip blocks.
    if (isGraced) this.#recentLogins.delete(address);
    const minutes = isGraced ? grace.delayMinutes : (trip.blockMinutes ?? grace.delayMinutes);
    const block = this.#blocks.add({
      kind: "ip",
      subject: address,
      rule: trip.rule,
      action: isGraced ? "delay" : "block",
      reason: trip.reason,
      since: new Date(now).toISOString(),
      until: new Date(now + minutes * 60_000).toISOString(),
    });
    this.#options.logger.warn(
      {
        rule: trip.rule,
        client: address,
        reason: trip.reason,
        block: block.id,
        outcome: block.action,
        until: block.until,
      },
      isGraced ? "abuse detected: address delayed (recent login)" : "abuse detected: address blocked",
    );
    return block;
  }
}

/** Before the greeting: a block is a 554, a delay a 421 (come back later). */
function refusalAtConnect(block: AbuseBlock): AbuseRefusal {
  if (block.action === "delay") return refusalInSession(block);
  return {
    rule: block.rule,
    reply: {
      code: 554,
      message: `5.7.1 Your address is blocked until ${block.until} (${whatWasTooMuch[block.rule]})`,
    },
  };
}

/** In a session: 421, after which the connection is closed. */
function refusalInSession(block: AbuseBlock): AbuseRefusal {
  const what = whatWasTooMuch[block.rule];
  return {
    rule: block.rule,
    reply: {
      code: 421,
      message:
        block.action === "delay"
          ? `4.7.1 ${capitalised(what)} from your address; try again after ${block.until}`
          : `4.7.1 Your address is blocked until ${block.until} (${what})`,
    },
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
