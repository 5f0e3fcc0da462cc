// The agent's mail server: up to three smtp-server listeners (inbound 25 with STARTTLS, submission 587 with
// STARTTLS, submissionTls 465 with implicit TLS) sharing one policy snapshot; the config's `listeners`
// says which of them are open (setListeners opens and closes them as it changes). Every decision is made by
// the rules in ./rules and logged with the rule id; accepted mail — for local and remote recipients
// alike — is durably in the queue (../queue) before the client sees 250, and the delivery worker
// (../delivery) takes it to Maildir or to the recipient domain's MX from there.
import type net from "node:net";
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerSession,
} from "smtp-server";
import type { Authenticator } from "../auth/message-authentication";
import { checkMessage, type MessageVerdict } from "../auth/message-checks";
import type { DkimKeyStore } from "../dkim/dkim-keys";
import { PermanentSigningError, UNSIGNABLE_REPLY } from "../dkim/dkim-sign";
import type { DnsResolver } from "../dns/resolver";
import type { ListBounceLedger } from "../lists/bounce-ledger";
import { receiveBounceReport } from "../lists/bounce-report";
import type { AbuseDetection, AbuseRefusal } from "../ids/abuse-detection";
import type { WeakPasswords } from "../posture/weak-passwords";
import { filterByLogPolicy } from "../log-policy";
import { noMailLog, type MailLog } from "../mail-log/mail-log";
import { newMessageId, type MailQueue, type NewQueueRecipient } from "../queue/queue";
import { JUNK_FOLDER } from "../maildir/maildir";
import { findDomain, splitAddress, type ActiveConfig } from "./active-config";
import type { CommandLine } from "./hostile/command";
import type { GuardDecision, GuardPhase } from "./hostile/types";
import {
  address as logAddress,
  clip,
  commandAddress,
  directionOf,
  domainOfAddress,
  INTERNAL_ERROR_RULE,
  now,
  recipientsByDomain,
  refusalFields,
  refusalOf,
  sessionFields,
  transactionDomain,
} from "./mail-log-records";
import { messageIdOf } from "./message-headers";
import { listBouncesPost, listMessage, listPost } from "./mailing-list-headers";
import { verifyMailboxPassword } from "./authenticate";
import type { ClientLimits } from "./hostile/connection-limits";
import type { SessionLimits } from "./hostile/limits";
import { readMessage } from "./hostile/read-message";
import { OutboundCounters, type Reservation } from "./outbound-counters";
import { isHostItself, isWhitelistedFor } from "./ip-lists";
import { hideAuth, PolicySmtpServer, unhideAuth, type Reply } from "./policy-smtp-server";
import { receivedHeader } from "./received-header";
import { expandRecipient } from "./recipients";
import { localRecipient } from "./rules/local-recipient";
import {
  authRules,
  clientRules,
  connectRules,
  isAuthOfferedBeforeTls,
  mailFromRules,
  messageRules,
  phaseFallback,
  rcptToRules,
  runRules,
  tempfailReply,
  type ListenerName,
  type RuleOutcome,
  type SessionFacts,
} from "./rules";
import { tlsOptionsFor, type TlsMaterial } from "./tls";

/** 25 MiB: larger messages are refused with 552. */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export interface ListenerAddress {
  port: number;
  host: string;
}

export interface MailServerOptions {
  listeners: Record<ListenerName, ListenerAddress>;
  hostname: string;
  banner?: string | undefined;
  stateDir: string;
  tls: TlsMaterial;
  initialConfig: ActiveConfig;
  /** The agent's one DNS resolver: SPF, DKIM, DMARC and ARC lookups of inbound mail. */
  dns: DnsResolver;
  /** Worker threads that run SPF/DKIM/DMARC/ARC; in the main thread when absent. */
  authenticator?: Authenticator | undefined;
  /** Row 14: logins whose password fails the policy in force, for the posture. */
  weakPasswords?: WeakPasswords | undefined;
  /** Keys that sign outbound mail of local domains (row 11). */
  dkimKeys: DkimKeyStore;
  /** Where accepted mail goes before the 250; the delivery worker takes it from there. */
  queue: MailQueue;
  /** Row 21: fed with connections, unknown recipients, logins and accepted mail; holds the blocks. */
  abuse: AbuseDetection;
  /** Row 22: bounces of list copies; paused members get no copies, DSNs to <list>-bounces count. */
  listBounces: ListBounceLedger;
  logger: Logger;
  /** How long open sessions may finish on close before they get a 421. */
  closeTimeoutMs: number;
  /** Idle timeout and greeting pause against hostile clients (settings `smtp`); connection caps are policy. */
  sessionLimits?: Partial<SessionLimits> | undefined;
  /** Issue 13: every decision of a session is recorded here before its reply is sent. */
  mailLog?: MailLog | undefined;
}

export interface ListenerPosture {
  name: ListenerName;
  port: number;
  tls: "starttls" | "implicit";
  authAdvertisedBeforeTls: boolean;
}

interface SessionState {
  listener: ListenerName;
  /** Config at connect: decides what this connection is offered (AUTH before TLS). */
  connectionConfig: ActiveConfig;
  /** Config pinned at MAIL FROM for the whole transaction, so RCPT and DATA agree with it. */
  transactionConfig: ActiveConfig;
  tlsProtocol: string | null;
  /** Header fields the client rules (row 16) added at this transaction's MAIL FROM, with line endings. */
  clientHeaders: string[];
}

const listenerNames: readonly ListenerName[] = ["inbound", "submission", "submissionTls"];

export class MailServer {
  #current: ActiveConfig;
  readonly #options: MailServerOptions;
  readonly #logger: Logger;
  readonly #servers = new Map<ListenerName, PolicySmtpServer>();
  readonly #sessions = new WeakMap<SMTPServerSession, SessionState>();
  readonly #ports = new Map<ListenerName, number>();
  /** Listeners taken out of the config whose open sessions are still finishing. */
  readonly #draining = new Set<Promise<void>>();
  /** Row 20's sending counts; they outlive config changes, not restarts. */
  readonly #outboundCounters = new OutboundCounters();
  readonly #mailLog: MailLog;

  private constructor(options: MailServerOptions) {
    this.#options = options;
    this.#current = options.initialConfig;
    this.#mailLog = options.mailLog ?? noMailLog;
    // Row 23: what this server records follows the policy's SMTP log level.
    this.#logger = filterByLogPolicy(options.logger, () => this.#current.server.smtpLogLevel);
  }

  static async start(options: MailServerOptions): Promise<MailServer> {
    const mailServer = new MailServer(options);
    try {
      const wanted = new Set<string>(options.initialConfig.raw.listeners);
      for (const name of listenerNames) if (wanted.has(name)) await mailServer.#listen(name);
    } catch (error) {
      await mailServer.close();
      throw error;
    }
    return mailServer;
  }

  /**
   * Opens the listeners named in `wanted` that are closed and closes the open ones it does not name. A
   * closed listener stops accepting at once; its open sessions get the close grace to finish (then 421),
   * and sessions on the other listeners are not touched. Returns the listeners that could not be opened
   * (e.g. the port is taken), each with why; the others are still opened.
   */
  async setListeners(wanted: ReadonlySet<string>): Promise<string[]> {
    const failures: string[] = [];
    for (const name of listenerNames) {
      if (!wanted.has(name)) this.#closeListener(name);
      else if (!this.#servers.has(name)) {
        await this.#listen(name).catch((error: Error) => failures.push(error.message));
      }
    }
    return failures;
  }

  get config(): ActiveConfig {
    return this.#current;
  }

  /** Bound port of each listener; 0 while it is closed. */
  get ports(): Record<ListenerName, number> {
    return {
      inbound: this.#ports.get("inbound") ?? 0,
      submission: this.#ports.get("submission") ?? 0,
      submissionTls: this.#ports.get("submissionTls") ?? 0,
    };
  }

  /**
   * Swaps the policy snapshot. TLS contexts are rebuilt first (new connections get the new minimum
   * version); if that fails nothing changes. Sessions already open keep the snapshot they started with.
   */
  apply(next: ActiveConfig): void {
    const previous = this.#current;
    try {
      for (const server of this.#servers.values()) {
        server.updateSecureContext(tlsOptionsFor(next.server, this.#options.tls));
      }
    } catch (error) {
      for (const server of this.#servers.values()) {
        server.updateSecureContext(tlsOptionsFor(previous.server, this.#options.tls));
      }
      throw error;
    }
    this.#current = next;
  }

  /** The listeners open now, nothing else: the console shows exactly what listens. */
  listenersPosture(): ListenerPosture[] {
    return listenerNames
      .filter((name) => this.#servers.has(name))
      .map((name) => ({
        name,
        port: this.#ports.get(name) ?? 0,
        tls: name === "submissionTls" ? "implicit" : "starttls",
        authAdvertisedBeforeTls: name !== "submissionTls" && isAuthOfferedBeforeTls(this.#current.server),
      }));
  }

  async close(): Promise<void> {
    for (const name of listenerNames) this.#closeListener(name);
    await Promise.all([...this.#draining]);
  }

  #closeListener(name: ListenerName): void {
    const server = this.#servers.get(name);
    if (!server) return;
    this.#servers.delete(name);
    this.#ports.delete(name);
    // smtp-server stops accepting here and now; the promise settles once its sessions have ended.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.#draining.add(closed);
    void closed.then(() => this.#draining.delete(closed));
    this.#logger.info({ listener: name }, "smtp listener closed");
  }

  async #listen(name: ListenerName): Promise<void> {
    const address = this.#options.listeners[name];
    const server = new PolicySmtpServer({
      ...tlsOptionsFor(this.#current.server, this.#options.tls),
      secure: name === "submissionTls",
      name: this.#options.hostname,
      banner: this.#options.banner ?? "Mailwarden",
      size: MAX_MESSAGE_BYTES,
      rejectOversized: true,
      authMethods: ["PLAIN", "LOGIN"],
      // Relay and submission decisions are made by our rules, which know the listener and the policy.
      authOptional: true,
      // Reverse DNS goes through the agent's own resolver once row 16 lands; no ad-hoc lookups.
      disableReverseLookup: true,
      logger: false,
      closeTimeout: this.#options.closeTimeoutMs,
      sessionLimits: this.#options.sessionLimits,
      connectionLimitsFor: (remoteAddress) => this.#connectionLimitsFor(remoteAddress),
      pauseGreeting: name === "inbound",
      guardLogger: this.#logger.child({ listener: name }),
      admit: (remoteAddress) => this.#options.abuse.admit(remoteAddress),
      recordGuard: (phase, decision, session, line) =>
        this.#recordGuard(name, phase, decision, session, line),
      onHiddenAuth: (session, mechanism) => this.#onHiddenAuth(session, mechanism),
      onConnect: (session, callback) => this.#onConnect(name, session, callback),
      onSecure: (socket, session, callback) => void this.#onSecure(socket, session, callback),
      onAuth: (auth, session, callback) => void this.#onAuth(auth, session, callback),
      onMailFrom: (from, session, callback) => void this.#onMailFrom(from, session, callback),
      onRcptTo: (to, session, callback) => void this.#onRcptTo(to, session, callback),
      onData: (stream, session, callback) => void this.#onData(stream, session, callback),
      onClose: (session) => {
        this.#options.abuse.sessionClosed(session.id);
        this.#logger.debug({ session: session.id, listener: name }, "connection closed");
      },
    });
    server.on("error", (error: Error) => {
      this.#logger.debug({ listener: name, err: error }, "smtp connection error");
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) =>
        reject(new Error(`cannot listen on ${address.host}:${address.port} (${name}): ${error.message}`));
      server.server.once("error", onError);
      server.listen(address.port, address.host, () => {
        server.server.off("error", onError);
        resolve();
      });
    });
    this.#servers.set(name, server);
    const bound = server.server.address() as net.AddressInfo;
    this.#ports.set(name, bound.port);
    this.#logger.info({ listener: name, host: address.host, port: bound.port }, "smtp listener ready");
  }

  #state(session: SMTPServerSession): SessionState {
    let state = this.#sessions.get(session);
    if (!state) {
      // onConnect always runs first; this only guards against a library change.
      state = {
        listener: "inbound",
        connectionConfig: this.#current,
        transactionConfig: this.#current,
        tlsProtocol: null,
        clientHeaders: [],
      };
      this.#sessions.set(session, state);
    }
    return state;
  }

  #facts(session: SMTPServerSession, config: ActiveConfig): SessionFacts {
    return {
      sessionId: session.id,
      listener: this.#state(session).listener,
      remoteAddress: session.remoteAddress,
      isSecure: session.secure,
      authenticatedUser: typeof session.user === "string" ? session.user : null,
      config,
      outboundCounters: this.#outboundCounters,
    };
  }

  /** Row 15 for one client, from the current policy; the host itself and row 19's whitelist skip per-address limits. */
  #connectionLimitsFor(remoteAddress: string): ClientLimits {
    const policy = this.#current.server;
    return {
      limits: policy.connectionLimits,
      isPerAddressExempt:
        isHostItself(remoteAddress) ||
        isWhitelistedFor(policy, remoteAddress, "connection-limits", Date.now()),
    };
  }

  #onConnect(
    listener: ListenerName,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void {
    const config = this.#current;
    this.#sessions.set(session, {
      listener,
      connectionConfig: config,
      transactionConfig: config,
      tlsProtocol: null,
      clientHeaders: [],
    });
    if (!session.secure && !isAuthOfferedBeforeTls(config.server)) hideAuth(session);
    this.#logger.debug({ session: session.id, listener, remoteAddress: session.remoteAddress }, "connection");
    // Rows 17 and 19: blacklist and DNS blocklists, before the greeting; a refusal closes the connection.
    const facts = { ...this.#facts(session, config), dns: this.#options.dns, logger: this.#logger };
    const who = sessionFields(session, listener);
    runRules("connect", connectRules, facts, phaseFallback.connect, this.#logger)
      .then(async ({ outcome, ruleId }) => {
        // A greeting-time tempfail is 421 (RFC 5321 3.8): the client retries later, elsewhere or here.
        const decided = outcome.action === "tempfail" ? { ...outcome, code: 421 } : outcome;
        const refusal = refusalOf({ outcome: decided, ruleId });
        await this.#mailLog.record(
          refusal
            ? { type: "connection.refused", at: now(), ...who, ...refusal }
            : { type: "connection.opened", at: now(), ...who },
        );
        callback(toCallbackError(decided));
      })
      .catch(async (error: unknown) => {
        this.#logger.error({ phase: "connect", session: session.id, err: error }, "connect check failed");
        const reply = { code: 421, message: tempfailReply.message };
        await this.#mailLog.record({
          type: "connection.refused",
          at: now(),
          ...who,
          ...refusalFields(INTERNAL_ERROR_RULE, reply),
        });
        callback(smtpError(reply));
      });
  }

  async #onSecure(
    socket: net.Socket | TLSSocket,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): Promise<void> {
    const protocol = "getProtocol" in socket ? socket.getProtocol() : null;
    const state = this.#state(session);
    state.tlsProtocol = protocol;
    unhideAuth(session);
    this.#logger.debug({ session: session.id, tlsProtocol: protocol }, "tls established");
    const cipher =
      ("getCipher" in socket ? socket.getCipher()?.name : undefined) ??
      (session.tlsOptions || undefined)?.name;
    await this.#mailLog.record({
      type: "tls.established",
      at: now(),
      ...sessionFields(session, state.listener),
      version: clip(protocol ?? "unknown", 32),
      cipher: clip(cipher ?? "unknown", 128),
    });
    callback();
  }

  async #onHiddenAuth(session: SMTPServerSession, mechanism: string): Promise<Reply | null> {
    const result = await runRules(
      "auth",
      authRules,
      this.#facts(session, this.#state(session).connectionConfig),
      phaseFallback.auth,
      this.#logger,
    );
    const refusal = refusalOf(result);
    if (!refusal) return null;
    await this.#recordAuthFailed(session, mechanism, "", refusal);
    return { code: refusal.code, message: refusal.reply };
  }

  #recordAuthFailed(
    session: SMTPServerSession,
    mechanism: string,
    user: string,
    refusal: ReturnType<typeof refusalFields>,
  ): Promise<void> {
    return this.#mailLog.record({
      type: "auth.failed",
      at: now(),
      domain: this.#localDomainOf(user),
      ...sessionFields(session, this.#state(session).listener),
      ...refusal,
      mechanism: clip(mechanism, 32),
      user: logAddress(user),
    });
  }

  /** The domain of `user` when it is one of this server's; a login names no other domain's tenant. */
  #localDomainOf(user: string): string | undefined {
    const domain = domainOfAddress(user);
    return domain && findDomain(this.#current, domain) ? domain : undefined;
  }

  async #onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (error: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): Promise<void> {
    try {
      // The same rule that answers hidden AUTH also guards the normal path (defence in depth).
      const ruled = await runRules(
        "auth",
        authRules,
        this.#facts(session, this.#state(session).connectionConfig),
        phaseFallback.auth,
        this.#logger,
      );
      const refusal = refusalOf(ruled);
      if (refusal) {
        await this.#recordAuthFailed(session, auth.method, auth.username ?? "", refusal);
        return callback(smtpError(ruled.outcome as Reply));
      }
      const username = auth.username ?? "";
      const result = await verifyMailboxPassword(
        this.#current,
        username,
        auth.password ?? "",
        this.#options.weakPasswords,
      );
      const base = {
        phase: "auth",
        session: session.id,
        listener: this.#state(session).listener,
        rule: "smtp-auth",
      };
      if (!result.ok) {
        this.#logger.info(
          { ...base, outcome: "reject", code: 535, user: username, reason: result.reason },
          "authentication failed",
        );
        // Row 21: the failure that trips brute force ends the session with the block's 421.
        const blocked = this.#options.abuse.loginFailed(session.remoteAddress);
        const reply = blocked?.reply ?? { code: 535, message: "5.7.8 Authentication credentials invalid" };
        await Promise.all([
          blocked?.recorded,
          this.#recordAuthFailed(
            session,
            auth.method,
            username,
            refusalFields(blocked?.rule ?? "smtp-auth", reply),
          ),
        ]);
        if (blocked) return callback(this.#abuseRefusal("auth", session, blocked));
        return callback(smtpError(reply));
      }
      this.#options.abuse.loginSucceeded(session.remoteAddress);
      this.#logger.info(
        { ...base, outcome: "accept", user: result.address, method: auth.method },
        "authenticated",
      );
      await this.#mailLog.record({
        type: "auth.succeeded",
        at: now(),
        domain: domainOfAddress(result.address),
        ...sessionFields(session, base.listener),
        mechanism: clip(auth.method, 32),
        user: logAddress(result.address),
      });
      callback(null, { user: result.address });
    } catch (error) {
      this.#logger.error({ session: session.id, err: error }, "authentication check failed");
      const reply = { code: 454, message: "4.7.0 Temporary authentication failure" };
      await this.#recordAuthFailed(
        session,
        auth.method,
        auth.username ?? "",
        refusalFields(INTERNAL_ERROR_RULE, reply),
      );
      callback(smtpError(reply));
    }
  }

  async #onMailFrom(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): Promise<void> {
    try {
      // Row 21: a user suspended by the internal-spammer rule sends nothing until it is lifted.
      const suspended =
        typeof session.user === "string" ? this.#options.abuse.sendingSuspension(session.user) : null;
      if (suspended) {
        await this.#recordMailFrom(session, address.address, refusalFields(suspended.rule, suspended.reply));
        return callback(this.#abuseRefusal("mail", session, suspended));
      }
      const state = this.#state(session);
      state.transactionConfig = this.#current;
      state.clientHeaders = [];
      const facts = { ...this.#facts(session, state.transactionConfig), sender: address.address };
      // Row 16 first: who the client is, before what it sends.
      const client = await runRules(
        "mail",
        clientRules,
        {
          ...facts,
          helo: session.hostNameAppearsAs || null,
          dns: this.#options.dns,
          logger: this.#logger,
          addHeader: (field) => state.clientHeaders.push(`${field}\r\n`),
        },
        phaseFallback.mail,
        this.#logger,
        { from: address.address },
      );
      const clientRefusal = refusalOf(client);
      if (clientRefusal) {
        await this.#recordMailFrom(session, address.address, clientRefusal);
        return callback(smtpError(client.outcome as Reply));
      }
      const result = await runRules("mail", mailFromRules, facts, phaseFallback.mail, this.#logger, {
        from: address.address,
      });
      await this.#recordMailFrom(session, address.address, refusalOf(result));
      callback(toCallbackError(result.outcome));
    } catch (error) {
      this.#logger.error({ phase: "mail", session: session.id, err: error }, "MAIL FROM check failed");
      await this.#recordMailFrom(session, address.address, refusalFields(INTERNAL_ERROR_RULE, tempfailReply));
      callback(smtpError(tempfailReply));
    }
  }

  #recordMailFrom(
    session: SMTPServerSession,
    from: string,
    refusal: ReturnType<typeof refusalFields> | null,
  ): Promise<void> {
    return this.#mailLog.record({
      type: "mail.from",
      at: now(),
      domain: transactionDomain(session),
      ...sessionFields(session, this.#state(session).listener),
      from: logAddress(from),
      ...(refusal ? { outcome: "refused", ...refusal } : { outcome: "accepted" }),
    });
  }

  #recordRcptTo(
    session: SMTPServerSession,
    from: string,
    to: string,
    refusal: ReturnType<typeof refusalFields> | null,
    acceptedBy?: string,
  ): Promise<void> {
    return this.#mailLog.record({
      type: "rcpt.to",
      at: now(),
      domain: transactionDomain(session, to),
      ...sessionFields(session, this.#state(session).listener),
      from: logAddress(from),
      to: logAddress(to),
      direction: directionOf(session),
      ...(refusal
        ? { outcome: "refused", ...refusal }
        : { outcome: "accepted", ...(acceptedBy && acceptedBy !== "default" && { rule: acceptedBy }) }),
    });
  }

  /**
   * Issue 13: a guard's refusal (./hostile) as a record, before its reply is sent: a connection turned
   * away before the greeting, or a MAIL / RCPT command refused before smtp-server parsed it. Refusals of
   * other commands and of whole sessions (idle, too many errors) have no record type; undefined then.
   */
  #recordGuard(
    listener: ListenerName,
    phase: GuardPhase,
    decision: GuardDecision,
    session: SMTPServerSession,
    line: CommandLine | undefined,
  ): Promise<void> | undefined {
    const refusal = refusalFields(decision.rule, decision.reply);
    if (phase === "connect") {
      return this.#mailLog.record({
        type: "connection.refused",
        at: now(),
        ...sessionFields(session, listener),
        ...refusal,
      });
    }
    if (phase !== "command" || !line) return undefined;
    const text = line.line.toString("latin1");
    if (line.name === "MAIL") return this.#recordMailFrom(session, commandAddress(text), refusal);
    if (line.name === "RCPT") {
      const from = session.envelope?.mailFrom ? session.envelope.mailFrom.address : "";
      return this.#recordRcptTo(session, from, commandAddress(text), refusal);
    }
    return undefined;
  }

  async #onRcptTo(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): Promise<void> {
    try {
      const state = this.#state(session);
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
      const facts = {
        ...this.#facts(session, state.transactionConfig),
        sender,
        recipient: address.address,
        acceptedRecipients: session.envelope.rcptTo.map((accepted) => accepted.address),
      };
      const { outcome, ruleId } = await runRules(
        "rcpt",
        rcptToRules,
        facts,
        phaseFallback.rcpt,
        this.#logger,
        { from: sender, to: address.address },
      );
      // Row 21: an unknown local recipient counts towards harvesting; the one that trips it ends the session.
      if (ruleId === localRecipient.id && outcome.action === "reject") {
        const blocked = this.#options.abuse.unknownRecipient(session.remoteAddress, session.id);
        if (blocked) {
          await Promise.all([
            blocked.recorded,
            this.#recordRcptTo(session, sender, address.address, refusalFields(blocked.rule, blocked.reply)),
          ]);
          return callback(this.#abuseRefusal("rcpt", session, blocked));
        }
      }
      await this.#recordRcptTo(session, sender, address.address, refusalOf({ outcome, ruleId }), ruleId);
      callback(toCallbackError(outcome));
    } catch (error) {
      this.#logger.error({ phase: "rcpt", session: session.id, err: error }, "RCPT TO check failed");
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
      await this.#recordRcptTo(
        session,
        sender,
        address.address,
        refusalFields(INTERNAL_ERROR_RULE, tempfailReply),
      );
      callback(smtpError(tempfailReply));
    }
  }

  async #onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): Promise<void> {
    const id = newMessageId();
    const logBase = { phase: "data", session: session.id, listener: this.#state(session).listener, id };
    // Sends counted by the throttle (row 20): given back unless the message is queued.
    const reservations: Reservation[] = [];
    let isQueued = false;
    let size: number | undefined;
    let body: Buffer | undefined;
    /** Records the refusal (per recipient domain, see recipientsByDomain), then answers with it. */
    const refuse = async (rule: string, reply: Reply) => {
      await this.#recordMessageRefused(session, refusalFields(rule, reply), size, body);
      callback(smtpError(reply));
    };
    try {
      // Size, bare CR/LF (SMTP smuggling), NUL and line-length guards; logged with their rule id.
      const received = await readMessage(stream, {
        maxBytes: MAX_MESSAGE_BYTES,
        logger: this.#logger,
        logFields: logBase,
      });
      if (!received.ok) {
        size = received.bytes;
        return await refuse(received.rule, received.reply);
      }
      body = received.body;
      size = body.length;
      const state = this.#state(session);
      const config = state.transactionConfig;
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
      // Rows 3, 18, 20: the message's From header, its links and the sending limits, for every session.
      const tags: string[] = [...state.clientHeaders];
      const { outcome: messageOutcome, ruleId: messageRule } = await runRules(
        "data",
        messageRules,
        {
          ...this.#facts(session, config),
          sender,
          recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
          message: body,
          dns: this.#options.dns,
          logger: this.#logger,
          addHeader: (field) => tags.push(`${field}\r\n`),
          holdReservation: (reservation) => reservations.push(reservation),
        },
        phaseFallback.data,
        this.#logger,
        { from: sender, id },
      );
      if (messageOutcome.action === "reject" || messageOutcome.action === "tempfail") {
        return await refuse(messageRule, messageOutcome);
      }
      // Rows 8-11: SPF/DKIM/DMARC of mail from outside (refuse, tag or Junk), DKIM signature on users' mail.
      const verdict = await checkMessage({
        facts: this.#facts(session, config),
        sender,
        recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
        helo: session.hostNameAppearsAs,
        message: body,
        hostname: this.#options.hostname,
        resolver: this.#options.dns,
        authenticator: this.#options.authenticator,
        dkimKeys: this.#options.dkimKeys,
        logger: this.#logger,
      });
      if (verdict.outcome.action === "reject" || verdict.outcome.action === "tempfail") {
        return await refuse(verdict.rule ?? "default", verdict.outcome);
      }
      // Row 22: a delivery status notification about a list's copies is counted, not stored.
      const bouncedList = listBouncesPost(config, session.envelope.rcptTo);
      if (bouncedList) {
        const report = await receiveBounceReport(this.#options.listBounces, bouncedList, verdict.message);
        this.#logger.info(
          {
            ...logBase,
            rule: "mailing-list-bounces",
            outcome: report.reply.code === 250 ? "accept" : "reject",
            from: sender,
            list: bouncedList.address,
            counted: report.counted,
          },
          report.reply.code === 250 ? "list bounce report received" : "not a bounce report",
        );
        // Counted, not stored: no queue id, so only a refusal has a record.
        return report.reply.code === 250
          ? callback(null, report.reply.message)
          : await refuse("mailing-list-bounces", report.reply);
      }
      const header = (recipient?: string) =>
        receivedHeader({
          session,
          hostname: this.#options.hostname,
          id,
          tlsProtocol: state.tlsProtocol,
          recipient,
        });
      // Local and remote recipients alike go through the durable queue: the 250 follows its fsync, and
      // the delivery worker writes each Maildir copy exactly once (also after a crash).
      const recipients = new Map<string, NewQueueRecipient>();
      // Aliases and the catch-all are expanded here (./recipients), once, into the entry's recipients.
      for (const recipient of session.envelope.rcptTo) {
        const targets = findDomain(config, splitAddress(recipient.address).domain)
          ? expandRecipient(config, recipient.address)
          : [{ kind: "remote" as const, address: recipient.address }];
        for (const target of targets) {
          if (target.kind === "local") {
            const { mailbox, domain } = target;
            recipients.set(mailbox.address, {
              address: mailbox.address,
              mailbox: { domain, localPart: mailbox.localPart },
              folder: verdict.folder,
              prepend: tags.join("") + verdict.headers + header(mailbox.address),
            });
          } else if (!recipients.has(target.address)) {
            recipients.set(target.address, {
              address: target.address,
              prepend: tags.join("") + verdict.headers + header(),
            });
          }
        }
      }
      if (recipients.size === 0) {
        // a guard only: RCPT accepted each recipient under this same pinned config, so each leads somewhere
        return await refuse("default", { code: 550, message: "5.1.1 Mailbox unavailable" });
      }
      // Row 22: a list address travels alone (rules/mailing-list); its copies carry the list headers and
      // the list's bounce address as envelope sender, so failures never go back to the poster.
      const list = listPost(config, session.envelope.rcptTo);
      const mailFrom = list
        ? list.bounceAddress
        : session.envelope.mailFrom
          ? session.envelope.mailFrom.address
          : "";
      let stored = verdict.message;
      if (list) {
        // Row 22: members paused after bounces get no copy until an admin resumes them.
        for (const address of recipients.keys()) {
          if (this.#options.listBounces.isPaused(list, address)) recipients.delete(address);
        }
        if (recipients.size === 0) {
          return await refuse("mailing-list", {
            code: 550,
            message: `5.2.1 Every member of ${list.address} is paused after bounces`,
          });
        }
        const leaves = [...recipients.values()].some((recipient) => !recipient.mailbox);
        try {
          stored = await listMessage(list, verdict.message, {
            config,
            dkimKeys: this.#options.dkimKeys,
            leaves,
          });
        } catch (error) {
          if (!(error instanceof PermanentSigningError)) throw error;
          this.#logger.info(
            { ...logBase, rule: "dkim-sign", outcome: "reject", err: error.message },
            "list copy not signed",
          );
          return await refuse("dkim-sign", UNSIGNABLE_REPLY);
        }
      }
      const user = typeof session.user === "string" ? session.user : undefined;
      // Row 21: counted before it is queued, so the message that trips the rule is already held.
      const suspension = user ? this.#options.abuse.messageAccepted(user) : null;
      await this.#options.queue.enqueue(
        { id, mailFrom, recipients: [...recipients.values()], authenticatedUser: user, spf: verdict.spf },
        stored,
      );
      isQueued = true;
      const queued = [...recipients.values()];
      this.#logger.info(
        {
          ...logBase,
          outcome: "accept",
          from: mailFrom,
          bytes: body.length,
          user,
          local: queued.filter((recipient) => recipient.mailbox).map((recipient) => recipient.address),
          remote: queued.filter((recipient) => !recipient.mailbox).map((recipient) => recipient.address),
          ...(list && { rule: "mailing-list", list: list.address }),
          ...verdict.results,
          ...(verdict.outcome.action === "quarantine" && { quarantined: true }),
        },
        "message accepted",
      );
      await Promise.all([suspension, this.#recordMessageAccepted(session, id, body, verdict)]);
      callback(null, `2.0.0 Ok: queued as ${id}`);
    } catch (error) {
      this.#logger.error({ ...logBase, outcome: "tempfail", err: error }, "could not store message");
      stream.resume();
      if (isQueued) return callback(smtpError(tempfailReply));
      await refuse(INTERNAL_ERROR_RULE, tempfailReply);
    } finally {
      if (!isQueued) for (const reservation of reservations) reservation.release();
    }
  }

  /** message.accepted, one record per recipient domain (outbound: one for the sender's domain). */
  #recordMessageAccepted(
    session: SMTPServerSession,
    queueId: string,
    body: Buffer,
    verdict: MessageVerdict,
  ): Promise<unknown> {
    const common = {
      type: "message.accepted" as const,
      at: now(),
      ...sessionFields(session, this.#state(session).listener),
      direction: directionOf(session),
      queueId,
      messageId: messageIdOf(body),
      from: logAddress(session.envelope.mailFrom ? session.envelope.mailFrom.address : ""),
      size: body.length,
      ...authenticationResults(verdict),
      folder: verdict.folder === JUNK_FOLDER ? ("junk" as const) : ("inbox" as const),
    };
    const recipients = session.envelope.rcptTo.map((recipient) => recipient.address);
    return Promise.all(
      [...recipientsByDomain(session, recipients)].map(([domain, to]) =>
        this.#mailLog.record({ ...common, domain, to }),
      ),
    );
  }

  /** message.refused at DATA, one record per recipient domain like message.accepted. */
  #recordMessageRefused(
    session: SMTPServerSession,
    refusal: ReturnType<typeof refusalFields>,
    size: number | undefined,
    body: Buffer | undefined,
  ): Promise<unknown> {
    const common = {
      type: "message.refused" as const,
      at: now(),
      ...sessionFields(session, this.#state(session).listener),
      ...refusal,
      direction: directionOf(session),
      messageId: body && messageIdOf(body),
      from: logAddress(session.envelope.mailFrom ? session.envelope.mailFrom.address : ""),
      size,
    };
    const recipients = session.envelope.rcptTo.map((recipient) => recipient.address);
    return Promise.all(
      [...recipientsByDomain(session, recipients)].map(([domain, to]) =>
        this.#mailLog.record({ ...common, domain, to }),
      ),
    );
  }

  /** Logs a row 21 refusal like a rule decision and turns it into the callback's error. */
  #abuseRefusal(phase: string, session: SMTPServerSession, refusal: AbuseRefusal): Error {
    const { code, message } = refusal.reply;
    this.#logger.info(
      {
        phase,
        session: session.id,
        listener: this.#state(session).listener,
        client: session.remoteAddress,
        user: typeof session.user === "string" ? session.user : undefined,
        rule: refusal.rule,
        outcome: code >= 500 ? "reject" : "tempfail",
        code,
        reply: message,
      },
      "rule decided",
    );
    return smtpError(refusal.reply);
  }
}

/** SPF/DKIM/DMARC/ARC as the mail log holds them: mailauth's verdict inbound, our own signature outbound. */
function authenticationResults(verdict: MessageVerdict) {
  const results = verdict.results;
  if (!results) {
    return { spf: verdict.spf, dkim: verdict.signedBy ? "signed" : "none", dmarc: "none", arc: "none" };
  }
  // The best signature decides, as DMARC reads them: any pass is a pass.
  const dkimResults = results.dkim.map((entry) => entry.slice(entry.lastIndexOf(":") + 1));
  const dkim = dkimResults.includes("pass") ? "pass" : (dkimResults[0] ?? "none");
  return {
    spf: clip(results.spf, 32),
    dkim: clip(dkim, 32),
    dmarc: clip(results.dmarc, 32),
    arc: clip(results.arc, 32),
  };
}

function smtpError(reply: Reply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

function toCallbackError(outcome: RuleOutcome): Error | null {
  return outcome.action === "reject" || outcome.action === "tempfail" ? smtpError(outcome) : null;
}
