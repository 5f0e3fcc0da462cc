// smtp-server, subclassed where its callbacks cannot reach: hiding AUTH before TLS, and the guards
// against hostile input in ./hostile. Everything else is smtp-server's own behaviour.
//
// AUTH before TLS (POLICY.md row 13). smtp-server advertises AUTH in EHLO before STARTTLS and answers
// an early attempt with a non-standard "538 Must issue a STARTTLS command first". We want AUTH absent
// from the EHLO reply AND an attempt to get RFC 4954's "538 5.7.11".
// 1. Hiding uses smtp-server's documented per-session switch: `session.disabledCommands = ["AUTH"]`
//    (set in onConnect while the connection is plain, cleared in onSecure). smtp-server then leaves AUTH
//    out of EHLO for that session only.
// 2. A disabled command would be answered "500 command not recognized". The connection routes AUTH
//    commands of such a session to `onHiddenAuth` instead, which runs the auth-only-over-tls rule and
//    returns its 538 reply.
//
// Hostile input. smtp-server's options cover part of it (maxClients, maxCommandLength, socketTimeout);
// the rest needs its private hooks, which is why these overrides exist:
// - `connect()` builds our connection class (smtp-server's five lines, reproduced);
// - `init()` checks the connection limits before the greeting (smtp-server's maxClients check, with our
//   reply and log line) and replaces smtp-server's fixed 100 ms early-talker pause with
//   ./hostile/early-talker's: inbound only, and once per polite client address;
// - `_onCommand()` runs the command guards on each complete line, before smtp-server parses it;
// - `send()` counts error replies for session.error-limit;
// - `_armTimeout()` is where smtp-server hands us the TLS socket of a STARTTLS handshake in progress,
//   the one to destroy if the handshake outlives the idle timeout;
// - `_acceptSocket()` bounds implicit-TLS handshakes (port 465) the same way.
// One server-wide timer sweeps the sessions for session.idle-timeout. The DATA guards run in onData
// (./hostile/read-message.ts), which is the only place that can refuse a message before it is stored.
import type net from "node:net";
import type tls from "node:tls";
import type { Logger } from "pino";
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";
import { SMTPConnection, type SMTPConnectionOptions } from "smtp-server/lib/smtp-connection.js";
import { authBase64 } from "./hostile/auth-base64";
import { commandName, type CommandLine } from "./hostile/command";
import { commandControlChars } from "./hostile/command-control-chars";
import { commandLineLength, HARD_COMMAND_LINE_OCTETS } from "./hostile/command-line-length";
import { checkConnectionLimits, ConnectionRate, type ClientLimits } from "./hostile/connection-limits";
import { EARLY_TALKER_RULE, GreetingPause } from "./hostile/early-talker";
import { ErrorBudget } from "./hostile/error-limit";
import { SessionDeadline, sweepIntervalMs } from "./hostile/idle-timeout";
import { JunkCommandBudget } from "./hostile/junk-commands";
import { resolveSessionLimits, type SessionLimits } from "./hostile/limits";
import { RecipientBudget } from "./hostile/max-recipients";
import { logGuardDecision, type GuardDecision, type GuardPhase, type Reply } from "./hostile/types";

export type { Reply };

export interface PolicySmtpServerOptions extends SMTPServerOptions {
  /** Answers an AUTH attempt (with that mechanism) on a session whose AUTH is hidden. null → let smtp-server answer. */
  onHiddenAuth(session: SMTPServerSession, mechanism: string): Promise<Reply | null>;
  /** Idle timeout and greeting pause; missing values take ./hostile/limits defaults. */
  sessionLimits?: Partial<SessionLimits> | undefined;
  /** Row 15: the connection limits a client address is held to, from the current policy. */
  connectionLimitsFor(remoteAddress: string): ClientLimits;
  /** Pause the greeting for unknown clients (the inbound listener); submission ports greet at once. */
  pauseGreeting?: boolean | undefined;
  /** Where guard decisions are logged, with their rule id. */
  guardLogger?: Logger | undefined;
  /** Row 21: refuses a blocked client before anything else (and counts the connection); null admits. */
  admit?: ((remoteAddress: string) => GuardDecision | null) | undefined;
  /**
   * Issue 13: records a guard's refusal in the mail log; its reply is sent once the returned promise
   * settles. undefined when there is nothing to record (the reply goes out at once).
   */
  recordGuard?:
    | ((
        phase: GuardPhase,
        decision: GuardDecision,
        session: SMTPServerSession,
        line: CommandLine | undefined,
      ) => Promise<void> | undefined)
    | undefined;
}

export function hideAuth(session: SMTPServerSession): void {
  session.disabledCommands = ["AUTH"];
}

export function unhideAuth(session: SMTPServerSession): void {
  session.disabledCommands = undefined;
}

function isAuthHidden(session: SMTPServerSession): boolean {
  return session.disabledCommands?.some((command) => command.toUpperCase() === "AUTH") ?? false;
}

class PolicySmtpConnection extends SMTPConnection {
  readonly #policy: PolicySmtpServer;
  readonly #deadline: SessionDeadline;
  readonly #errors = new ErrorBudget();
  readonly #junk = new JunkCommandBudget();
  readonly #recipients = new RecipientBudget();
  /** Set while a guard sends a reply that must not count as an error. */
  #isUncountedReply = false;
  /** The TLS socket of a STARTTLS handshake in progress. */
  #handshakeSocket: net.Socket | null = null;
  /** A command line arrived before the greeting. */
  #talkedEarly = false;

  constructor(
    server: PolicySmtpServer,
    socket: net.Socket | tls.TLSSocket,
    options: SMTPConnectionOptions | null | undefined,
  ) {
    super(server, socket, options);
    this.#policy = server;
    this.#deadline = new SessionDeadline(server.sessionLimits.idleTimeoutMs, Date.now());
  }

  override init(): void {
    this._setListeners(() => {
      // Row 21 first: every connection counts towards the DoS rule, even one row 15 then turns away.
      const blocked = this.#policy.admit?.(this.remoteAddress) ?? null;
      if (blocked) {
        logGuardDecision(this.#policy.guardLogger, "connect", blocked, this.#logFields());
        const error = Object.assign(new Error(blocked.reply.message), { responseCode: blocked.reply.code });
        const recorded = [blocked.recorded, this.#record("connect", blocked)].filter((p) => p !== undefined);
        if (recorded.length === 0) return this._refuse(error, false);
        void Promise.all(recorded).then(() => this._refuse(error, false));
        return;
      }
      const refusal = checkConnectionLimits(
        this._server.connections,
        this,
        this.#policy.connectionLimitsFor(this.remoteAddress),
        this.#policy.connectionRate,
        Date.now(),
        this.name,
      );
      if (refusal)
        return this.#recordThen("connect", refusal, undefined, () => this.#refuse("connect", refusal));
      const pause = this.#policy.greetingPause;
      const delay = pause ? pause.delayFor(this.remoteAddress, Date.now()) : 0;
      if (delay === 0) return this.connectionReady();
      setTimeout(() => {
        // An early talker is being refused (421, once its record is written): it is never greeted.
        if (this.#talkedEarly) return;
        pause!.passed(this.remoteAddress, Date.now());
        this.connectionReady();
      }, delay).unref();
    });
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    // Lines buffered during a TLS handshake, before the greeting or during shutdown keep smtp-server's
    // own handling (dropped, "421 You talk too soon", "421 Server shutting down").
    if (this._upgrading || !this._ready || this._closing || this._server._closeTimeout) {
      if (!this._ready && !this._upgrading && !this.#talkedEarly) {
        const decision = this.#onEarlyTalk();
        return this.#recordThen("connect", decision, undefined, () => super._onCommand(command, callback));
      }
      return super._onCommand(command, callback);
    }
    const next = callback ?? (() => undefined);
    this.#deadline.progress(Date.now());
    const isAuthContinuation = this._nextHandler !== false;
    const line: CommandLine = {
      line: command,
      name: isAuthContinuation ? "" : commandName(command),
      isAuthContinuation,
    };
    const refusal =
      commandControlChars.check(line) ??
      commandLineLength.check(line) ??
      this.#junk.check(line) ??
      this.#recipients.check(line, this.session.envelope);
    if (refusal) return this.#refuseCommand(refusal, next, line);
    if (!this.#isHiddenAuthAttempt(line)) return this.#dispatch(line, command, callback);
    // smtp-server's parser waits for `callback` before reading the next command, so the async
    // decision cannot race with pipelined commands.
    this.#policy
      .onHiddenAuth(this.session, authMechanism(line))
      .catch(() => ({ code: 454, message: "4.7.0 Temporary authentication failure" }))
      .then((reply) => {
        if (!reply) return this.#dispatch(line, command, callback);
        this.send(reply.code, reply.message);
        this._whenWritable(next);
      });
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    super.send(code, data, context);
    this.#deadline.progress(Date.now());
    if (code === 250 && context === "DATA_OK") this.#junk.messageAccepted();
    if (code < 400 || code === 421 || this.#isUncountedReply || this._closing || this._closed) return;
    const refusal = this.#errors.countError();
    if (refusal) this.#refuse("session", refusal);
  }

  override _armTimeout(socket?: net.Socket): void {
    // upgrade() arms the timeout of the TLS socket it is negotiating on, before it becomes _socket.
    if (socket && socket !== this._socket) this.#handshakeSocket = socket;
    super._armTimeout(socket);
  }

  /** Called by the server's sweep: closes the session once session.idle-timeout has passed. */
  checkDeadline(now: number): void {
    if (this._closing || this._closed) return;
    const parser = this._parser;
    const isWaitingForUs = this._handlerPending || (this._dataStream && parser && !parser._dataMode);
    if (isWaitingForUs) return this.#deadline.progress(now);
    if (parser && parser._dataMode) this.#deadline.dataProgress(now, parser.dataBytes);
    if (!this.#deadline.isExpired(now)) return;
    const decision = this.#deadline.decision(this.name);
    if (this._upgrading) {
      // Nothing can be written in the middle of a handshake; destroy the TLS socket (tearing the raw
      // socket down under it is what smtp-server warns against).
      logGuardDecision(
        this.#policy.guardLogger,
        "tls",
        { rule: decision.rule, reply: null },
        this.#logFields(),
      );
      (this.#handshakeSocket ?? this._socket).destroy();
      return;
    }
    this.#refuse("session", decision);
  }

  #dispatch(line: CommandLine, command: Buffer, callback?: () => void): void {
    const refusal = authBase64.check(line);
    if (refusal) return this.#refuseCommand(refusal, callback ?? (() => undefined), line);
    super._onCommand(command, callback);
  }

  #refuseCommand(refusal: GuardDecision, next: () => void, line: CommandLine): void {
    // A refused AUTH continuation line ends the exchange.
    this._nextHandler = false;
    // smtp-server reads the next command only after `next`: the reply still goes out in order.
    this.#recordThen("command", refusal, line, () => {
      this.#isUncountedReply = refusal.rule === RecipientBudget.id && refusal.reply.code === 452;
      try {
        this.#refuse("command", refusal);
      } finally {
        this.#isUncountedReply = false;
      }
      this._whenWritable(next);
    });
  }

  /** Runs `then` once the guard decision is in the mail log (at once when there is nothing to record). */
  #recordThen(
    phase: GuardPhase,
    decision: GuardDecision,
    line: CommandLine | undefined,
    then: () => void,
  ): void {
    const recorded = this.#record(phase, decision, line);
    if (recorded) void recorded.then(then);
    else then();
  }

  #record(phase: GuardPhase, decision: GuardDecision, line?: CommandLine): Promise<void> | undefined {
    if (!this.#policy.recordGuard) return undefined;
    // Before the greeting smtp-server has not filled the session in yet: who connected comes from here.
    const session =
      phase === "connect"
        ? { ...this.session, id: this.id, remoteAddress: this.remoteAddress }
        : this.session;
    return this.#policy.recordGuard(phase, decision, session, line);
  }

  #refuse(phase: GuardPhase, refusal: GuardDecision): void {
    logGuardDecision(this.#policy.guardLogger, phase, refusal, this.#logFields());
    // A 421 makes smtp-server close the connection.
    this.send(refusal.reply.code, refusal.reply.message, phase === "connect" ? false : undefined);
  }

  #logFields() {
    return { session: this.id, client: this.remoteAddress };
  }

  #onEarlyTalk(): GuardDecision {
    this.#talkedEarly = true;
    this.#policy.greetingPause?.talkedEarly(this.remoteAddress);
    // smtp-server answers "421 You talk too soon" and closes; we log it like every guard decision
    const decision = {
      rule: EARLY_TALKER_RULE,
      reply: { code: 421, message: `${this.name} You talk too soon` },
    };
    logGuardDecision(this.#policy.guardLogger, "connect", decision, this.#logFields());
    return decision;
  }

  #isHiddenAuthAttempt(line: CommandLine): boolean {
    // Only a fresh command line of a greeted session; before EHLO smtp-server's 503 answers.
    if (line.isAuthContinuation || this.hostNameAppearsAs === false) return false;
    return line.name === "AUTH" && isAuthHidden(this.session);
  }
}

/** The SASL mechanism an AUTH command line names ("" when it names none). */
function authMechanism(line: CommandLine): string {
  return (line.line.toString("latin1").trim().split(/\s+/)[1] ?? "").toUpperCase();
}

export class PolicySmtpServer extends SMTPServer {
  readonly onHiddenAuth: PolicySmtpServerOptions["onHiddenAuth"];
  readonly sessionLimits: SessionLimits;
  readonly guardLogger: Logger | undefined;
  readonly connectionLimitsFor: PolicySmtpServerOptions["connectionLimitsFor"];
  readonly admit: PolicySmtpServerOptions["admit"];
  readonly recordGuard: PolicySmtpServerOptions["recordGuard"];
  /** New connections per client address in the last minute, on this listener. */
  readonly connectionRate = new ConnectionRate();
  /** null on submission listeners: no pause before the greeting. */
  readonly greetingPause: GreetingPause | null;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: PolicySmtpServerOptions) {
    const limits = resolveSessionLimits(options.sessionLimits);
    super({
      ...options,
      // Row 15's maxConcurrent, refreshed from the policy on every accepted socket (_acceptSocket).
      maxClients: options.connectionLimitsFor("").limits.maxConcurrent,
      maxCommandLength: HARD_COMMAND_LINE_OCTETS,
      // smtp-server's byte-based idle timeout stays as a backstop behind session.idle-timeout; it is
      // also the idle limit of implicit-TLS handshakes and of half-closed sockets.
      socketTimeout: limits.idleTimeoutMs + sweepIntervalMs(limits.idleTimeoutMs) * 2,
    });
    this.onHiddenAuth = options.onHiddenAuth;
    this.sessionLimits = limits;
    this.guardLogger = options.guardLogger;
    this.connectionLimitsFor = options.connectionLimitsFor;
    this.admit = options.admit;
    this.recordGuard = options.recordGuard;
    this.greetingPause = options.pauseGreeting
      ? new GreetingPause(limits.greetingDelayMs, limits.greetingMemoryHours)
      : null;
    this.#sweep = setInterval(() => this.#checkDeadlines(), sweepIntervalMs(limits.idleTimeoutMs));
    this.#sweep.unref();
    this.server.once("close", () => clearInterval(this.#sweep));
  }

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new PolicySmtpConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on("error", (error: Error) => this._onError(error));
    connection.on("connect", (data: Parameters<SMTPServer["_onClientConnect"]>[0]) =>
      this._onClientConnect(data),
    );
    connection.init();
  }

  override _acceptSocket(socket: net.Socket, handshake: boolean): (() => void) | false {
    // smtp-server caps implicit-TLS handshakes in progress with its own option: keep it on the policy.
    this.options.maxClients = this.connectionLimitsFor(socket.remoteAddress ?? "").limits.maxConcurrent;
    const release = super._acceptSocket(socket, handshake);
    if (!release || !handshake) return release;
    // An implicit-TLS handshake must finish within the idle timeout, however slowly its bytes trickle.
    const timer = setTimeout(() => {
      const pending = this._pendingSockets.get(socket);
      if (!pending) return;
      logGuardDecision(
        this.guardLogger,
        "tls",
        { rule: SessionDeadline.id, reply: null },
        { client: socket.remoteAddress },
      );
      // The topmost socket: tearing the raw socket down under a TLS handshake crashes Node.
      pending.destroy();
    }, this.sessionLimits.idleTimeoutMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    return () => {
      clearTimeout(timer);
      release();
    };
  }

  override close(callback?: () => void): void {
    clearInterval(this.#sweep);
    super.close(callback);
  }

  #checkDeadlines(): void {
    const now = Date.now();
    for (const connection of this.connections) {
      if (connection instanceof PolicySmtpConnection) connection.checkDeadline(now);
    }
  }
}
