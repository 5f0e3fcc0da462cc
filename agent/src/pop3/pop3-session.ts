// One POP3 connection (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595, AUTH PLAIN from RFC 5034):
// AUTHORIZATION → TRANSACTION → UPDATE. Commands are read one line at a time and handled strictly in
// order, so pipelining is safe; what a client sent after STLS in the same packet is thrown away, never
// read as a command under TLS (the STARTTLS command-injection bug). Row 13: before TLS, with
// authOnlyOverTls on, CAPA leaves USER and SASL out and USER/PASS/AUTH are refused.
import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import type net from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import { maildirPath } from "../maildir/maildir";
import { findMailbox, type ActiveConfig } from "../smtp/active-config";
import type { AbuseDetection } from "../ids/abuse-detection";
import type { WeakPasswords } from "../posture/weak-passwords";
import { verifyMailboxPassword } from "../smtp/authenticate";
import { authOnlyOverTls, isAuthOfferedBeforeTls } from "../smtp/rules/auth-only-over-tls";
import { Maildrop, type MaildropMessage } from "./maildrop";

export type Pop3ListenerName = "pop3" | "pop3s";

/** A command line longer than this (without CRLF) is refused. RFC 2449 allows 255; clients stay far below. */
export const MAX_LINE_BYTES = 1000;
/** An over-long line is skipped up to its end; past this much the peer is not a POP3 client. */
const MAX_DISCARD_BYTES = 64 * 1024;
/** Input queued behind a slow command (a big RETR) before the socket stops reading. */
const MAX_QUEUED_INPUT_BYTES = 64 * 1024;
const MAX_FAILED_LOGINS = 3;
const MAX_BAD_COMMANDS = 20;
const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;
/** How long a client may take to close after our final reply before the socket is dropped. */
const END_GRACE_MS = 5_000;
const AUTH_RULE = "pop3-auth";

/** One session per mailbox at a time (RFC 1939 §8: the server acquires an exclusive lock). */
export class MaildropLocks {
  readonly #holders = new Map<string, string>();

  acquire(address: string, sessionId: string): boolean {
    if (this.#holders.has(address)) return false;
    this.#holders.set(address, sessionId);
    return true;
  }

  release(address: string, sessionId: string): void {
    if (this.#holders.get(address) === sessionId) this.#holders.delete(address);
  }
}

/** What a session needs from its server; the config is read live so a pushed config applies at once. */
export interface SessionHost {
  hostname: string;
  stateDir: string;
  logger: Logger;
  locks: MaildropLocks;
  /** Row 14: logins whose password fails the policy in force, for the posture. */
  weakPasswords?: WeakPasswords | undefined;
  /** Row 21: failed and good logins count towards abuse detection. */
  abuse?: AbuseDetection | undefined;
  idleTimeoutMs: number;
  failedLoginDelayMs: number;
  config(): ActiveConfig;
  secureContext(): tls.SecureContext;
}

type State = "authorization" | "transaction" | "update" | "closed";
type EndReason = "quit" | "timeout" | "disconnect" | "shutdown" | "too-many-errors" | "error";

export class Pop3Session {
  readonly id = randomBytes(6).toString("hex");
  readonly #host: SessionHost;
  readonly #listener: Pop3ListenerName;
  readonly #remoteAddress: string;
  /** Config at connect: decides what this connection is offered before TLS (as on the SMTP side). */
  readonly #connectionConfig: ActiveConfig;
  readonly #startedAt = Date.now();
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;

  #socket: net.Socket;
  #state: State = "authorization";
  #isSecure: boolean;
  #tlsProtocol: string | null;
  #isUpgrading = false;
  #isBusy = false;
  #isShuttingDown = false;
  /** The last reply is written; nothing else is sent or read. */
  #isEnding = false;
  #endReason: EndReason = "disconnect";

  #input: Buffer = Buffer.alloc(0);
  #discardedBytes = 0;
  #isDiscarding = false;
  #badCommands = 0;
  #failedLogins = 0;
  /** Name given with USER, waiting for PASS. */
  #pendingUser: string | null = null;
  /** AUTH PLAIN sent without an initial response: the next line is the SASL response. */
  #isAwaitingSaslResponse = false;
  #address: string | null = null;
  #maildrop: Maildrop | null = null;
  #retrieved = 0;
  #deleted = 0;
  #bytesSent = 0;

  constructor(
    socket: net.Socket,
    options: { host: SessionHost; listener: Pop3ListenerName; isSecure: boolean },
  ) {
    this.#host = options.host;
    this.#listener = options.listener;
    this.#socket = socket;
    this.#isSecure = options.isSecure;
    this.#tlsProtocol = socket instanceof tls.TLSSocket ? socket.getProtocol() : null;
    this.#remoteAddress = socket.remoteAddress ?? "";
    this.#connectionConfig = options.host.config();
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Resolves once the connection is gone and the maildrop lock released. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  start(): void {
    this.#attach(this.#socket);
    this.#log().debug(
      { ...this.#logBase(), remoteAddress: this.#remoteAddress, tlsProtocol: this.#tlsProtocol },
      "pop3 connection",
    );
    this.#send(`+OK ${this.#host.hostname} Mailwarden POP3 ready`);
  }

  /** Server shutdown: an idle session is told and closed now, a busy one right after its command. */
  shutdown(): void {
    if (this.#state === "closed") return;
    this.#isShuttingDown = true;
    if (!this.#isBusy) this.#closeForShutdown();
  }

  /** Last resort once the shutdown grace is over. */
  destroy(): void {
    this.#endReason = "shutdown";
    this.#socket.destroy();
  }

  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #log(): Logger {
    return this.#host.logger;
  }

  #logBase() {
    return { session: this.id, listener: this.#listener };
  }

  #attach(socket: net.Socket): void {
    socket.on("data", this.#onData);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    socket.on("timeout", this.#onTimeout);
    socket.setTimeout(this.#host.idleTimeoutMs);
  }

  #detach(socket: net.Socket): void {
    socket.off("data", this.#onData);
    socket.off("close", this.#onClose);
    socket.off("timeout", this.#onTimeout);
    socket.setTimeout(0);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#input = this.#input.length === 0 ? chunk : Buffer.concat([this.#input, chunk]);
    if (this.#isBusy && this.#input.length > MAX_QUEUED_INPUT_BYTES) this.#socket.pause();
    void this.#pump();
  };

  readonly #onError = (error: Error): void => {
    this.#log().debug({ ...this.#logBase(), err: error.message }, "pop3 connection error");
  };

  readonly #onTimeout = (): void => {
    // RFC 1939 §3: on autologout the server closes without a reply and without entering UPDATE.
    this.#endReason = "timeout";
    this.#log().info({ ...this.#logBase(), user: this.#address ?? undefined }, "pop3 session idle; closed");
    this.#socket.destroy();
  };

  readonly #onClose = (): void => {
    if (this.#state === "closed") return;
    this.#state = "closed";
    if (this.#address) this.#host.locks.release(this.#address, this.id);
    const fields = {
      ...this.#logBase(),
      user: this.#address ?? undefined,
      reason: this.#endReason,
      retrieved: this.#retrieved,
      deleted: this.#deleted,
      bytesSent: this.#bytesSent,
      durationMs: Date.now() - this.#startedAt,
    };
    if (this.#address) this.#log().info(fields, "pop3 session ended");
    else this.#log().debug(fields, "pop3 session ended");
    this.#resolveClosed();
  };

  /** Reads complete lines and handles them one at a time, in order. */
  async #pump(): Promise<void> {
    while (!this.#isBusy && !this.#isUpgrading && this.#state !== "closed") {
      const lf = this.#input.indexOf(0x0a);
      if (lf < 0) {
        this.#guardPartialLine();
        this.#socket.resume();
        return;
      }
      const raw = this.#input.subarray(0, lf);
      this.#input = this.#input.subarray(lf + 1);
      const wasDiscarding = this.#isDiscarding;
      this.#isDiscarding = false;
      this.#isBusy = true;
      try {
        const content = raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw;
        if (wasDiscarding || content.length > MAX_LINE_BYTES) {
          this.#badCommand(`-ERR Line too long (the limit is ${MAX_LINE_BYTES} bytes)`);
        } else {
          await this.#handleLine(content.toString("utf8"));
        }
      } catch (error) {
        this.#log().error({ ...this.#logBase(), err: error }, "pop3 command failed");
        this.#endReason = "error";
        this.#send("-ERR [SYS/TEMP] Internal error; closing");
        this.#end();
      } finally {
        this.#isBusy = false;
      }
      if (this.#isShuttingDown) this.#closeForShutdown();
    }
  }

  /** An unterminated line that is already too long is dropped as it arrives, not buffered. */
  #guardPartialLine(): void {
    if (!this.#isDiscarding && this.#input.length <= MAX_LINE_BYTES + 1) return;
    if (!this.#isDiscarding) this.#discardedBytes = 0;
    this.#isDiscarding = true;
    this.#discardedBytes += this.#input.length;
    this.#input = Buffer.alloc(0);
    if (this.#discardedBytes > MAX_DISCARD_BYTES) {
      this.#endReason = "too-many-errors";
      this.#send("-ERR Line too long; closing");
      this.#end();
    }
  }

  async #handleLine(line: string): Promise<void> {
    if (this.#isAwaitingSaslResponse) {
      this.#isAwaitingSaslResponse = false;
      return this.#saslPlainResponse(line.trim());
    }
    const space = line.indexOf(" ");
    const keyword = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const rest = space < 0 ? "" : line.slice(space + 1);
    const args = rest.trim() === "" ? [] : rest.trim().split(/ +/);

    switch (keyword) {
      case "CAPA":
        return this.#capa();
      case "QUIT":
        return this.#quit();
      case "STLS":
      case "USER":
      case "PASS":
      case "AUTH":
      case "APOP":
        if (this.#state !== "authorization")
          return this.#badCommand(`-ERR ${keyword} is only valid before login`);
        return this.#authorizationCommand(keyword, args, rest);
      case "STAT":
      case "LIST":
      case "UIDL":
      case "RETR":
      case "TOP":
      case "DELE":
      case "RSET":
      case "NOOP":
        if (this.#state !== "transaction" || !this.#maildrop) {
          return this.#badCommand(`-ERR ${keyword} is only valid after login`);
        }
        return this.#transactionCommand(keyword, args, this.#maildrop);
      default:
        return this.#badCommand(`-ERR Unknown command "${printable(keyword)}"`);
    }
  }

  async #authorizationCommand(keyword: string, args: string[], rest: string): Promise<void> {
    switch (keyword) {
      case "STLS":
        return this.#startTls(args);
      case "APOP":
        return this.#badCommand("-ERR APOP is not supported; use USER/PASS or AUTH PLAIN over TLS");
      case "USER":
        if (!this.#mayAuthenticate("USER")) return;
        if (args.length !== 1) return this.#badCommand("-ERR USER needs exactly one mailbox address");
        this.#pendingUser = args[0]!;
        return this.#send("+OK Send your password");
      case "PASS": {
        if (!this.#mayAuthenticate("PASS")) return;
        const user = this.#pendingUser;
        this.#pendingUser = null;
        if (user === null) return this.#badCommand("-ERR Send USER first");
        // The whole rest of the line: passwords may contain spaces.
        return this.#login(user, rest, "USER");
      }
      default:
        return this.#auth(args);
    }
  }

  async #transactionCommand(keyword: string, args: string[], maildrop: Maildrop): Promise<void> {
    switch (keyword) {
      case "STAT": {
        if (args.length > 0) return this.#badCommand("-ERR STAT takes no argument");
        const { count, size } = maildrop.visible;
        return this.#send(`+OK ${count} ${size}`);
      }
      case "LIST":
      case "UIDL": {
        const show = (message: { number: number; size: number; uid: string }) =>
          `${message.number} ${keyword === "LIST" ? message.size : message.uid}`;
        if (args.length > 1) return this.#badCommand(`-ERR ${keyword} takes at most one argument`);
        if (args.length === 1) {
          const message = this.#message(maildrop, args[0]!);
          if (message) this.#send(`+OK ${show(message)}`);
          return;
        }
        const { count, size } = maildrop.visible;
        const lines = maildrop.messages.filter((message) => !message.isDeleted).map(show);
        const head =
          keyword === "LIST" ? `+OK ${count} messages (${size} octets)` : "+OK Unique-ID listing follows";
        return this.#sendMultiline(head, lines);
      }
      case "RETR":
      case "TOP":
        return this.#retrieve(keyword, args, maildrop);
      case "DELE": {
        if (args.length !== 1) return this.#badCommand("-ERR DELE needs a message number");
        const message = this.#message(maildrop, args[0]!);
        if (!message) return;
        message.isDeleted = true;
        return this.#send(`+OK Message ${message.number} deleted`);
      }
      case "RSET": {
        maildrop.reset();
        const { count, size } = maildrop.visible;
        return this.#send(`+OK Maildrop has ${count} messages (${size} octets)`);
      }
      default:
        return this.#send("+OK");
    }
  }

  #capa(): void {
    const lines = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
    if (this.#state === "authorization") {
      if (this.#isAuthAllowed()) lines.push("USER", "SASL PLAIN");
      if (this.#listener === "pop3" && !this.#isSecure) lines.push("STLS");
    }
    this.#sendMultiline("+OK Capability list follows", lines);
  }

  #startTls(args: string[]): void {
    if (args.length > 0) return this.#badCommand("-ERR STLS takes no argument");
    if (this.#isSecure) return this.#badCommand("-ERR TLS is already active");
    let secureContext: tls.SecureContext;
    try {
      secureContext = this.#host.secureContext();
    } catch (error) {
      this.#log().error({ ...this.#logBase(), err: error }, "no TLS context for STLS");
      return this.#send("-ERR [SYS/TEMP] TLS is unavailable right now");
    }
    this.#send("+OK Begin TLS negotiation");
    const plain = this.#socket;
    this.#detach(plain);
    // Anything pipelined behind STLS was sent in clear text: never treat it as a command under TLS.
    this.#input = Buffer.alloc(0);
    this.#pendingUser = null;
    this.#isUpgrading = true;
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext, requestCert: false });
    const handshakeTimer = setTimeout(() => secure.destroy(), TLS_HANDSHAKE_TIMEOUT_MS);
    const onEarlyClose = () => {
      clearTimeout(handshakeTimer);
      this.#onClose();
    };
    plain.once("close", onEarlyClose);
    secure.once("close", onEarlyClose);
    secure.once("secure", () => {
      clearTimeout(handshakeTimer);
      plain.off("close", onEarlyClose);
      secure.off("close", onEarlyClose);
      this.#socket = secure;
      this.#isSecure = true;
      this.#tlsProtocol = secure.getProtocol();
      this.#isUpgrading = false;
      this.#attach(secure);
      this.#log().debug({ ...this.#logBase(), tlsProtocol: this.#tlsProtocol }, "pop3 tls established");
      void this.#pump();
    });
    secure.on("error", (error: Error) => {
      clearTimeout(handshakeTimer);
      this.#log().debug({ ...this.#logBase(), err: error.message }, "pop3 tls failed");
      secure.destroy();
      plain.destroy();
    });
  }

  /** Row 13. Logs and answers the refusal; returns whether the command may go on. */
  #mayAuthenticate(command: string): boolean {
    if (this.#isAuthAllowed()) return true;
    this.#log().info(
      { ...this.#logBase(), phase: "auth", rule: authOnlyOverTls.id, outcome: "reject", command },
      "pop3 login refused before TLS",
    );
    this.#badCommand("-ERR [SYS/PERM] Login needs TLS first: issue STLS (or use the POP3S port)");
    return false;
  }

  #isAuthAllowed(): boolean {
    if (this.#isSecure) return true;
    // A policy tightened since this connection opened applies too.
    return (
      isAuthOfferedBeforeTls(this.#connectionConfig.server) &&
      isAuthOfferedBeforeTls(this.#host.config().server)
    );
  }

  async #auth(args: string[]): Promise<void> {
    if (!this.#mayAuthenticate("AUTH")) return;
    if (args.length === 0) return this.#sendMultiline("+OK", ["PLAIN"]);
    if (args[0]!.toUpperCase() !== "PLAIN" || args.length > 2) {
      return this.#badCommand("-ERR Unsupported authentication mechanism (only PLAIN)");
    }
    if (args.length === 1) {
      this.#isAwaitingSaslResponse = true;
      return this.#send("+ ");
    }
    return this.#saslPlainResponse(args[1]!);
  }

  async #saslPlainResponse(response: string): Promise<void> {
    if (response === "*") return this.#send("-ERR Authentication cancelled");
    const encoded = response === "=" ? "" : response;
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) {
      return this.#badCommand("-ERR Invalid base64 in the AUTH PLAIN response");
    }
    // RFC 4616: [authzid] NUL authcid NUL passwd. Acting as someone else is not offered.
    const parts = Buffer.from(encoded, "base64").toString("utf8").split("\0");
    if (parts.length !== 3) return this.#badCommand("-ERR Malformed AUTH PLAIN response");
    const [authzid, authcid, password] = parts as [string, string, string];
    if (authzid !== "" && authzid.toLowerCase() !== authcid.toLowerCase()) {
      return this.#loginFailed(authcid, "authzid-mismatch", "PLAIN");
    }
    return this.#login(authcid, password, "PLAIN");
  }

  async #login(username: string, password: string, method: string): Promise<void> {
    const config = this.#host.config();
    const result = await verifyMailboxPassword(config, username, password, this.#host.weakPasswords);
    if (this.#state === "closed") return;
    if (!result.ok) return this.#loginFailed(username, result.reason, method);
    const address = result.address;
    const mailbox = findMailbox(config, address);
    if (!mailbox) return this.#loginFailed(username, "unknown-user", method);
    const base = { ...this.#logBase(), phase: "auth", rule: AUTH_RULE, user: address, method };
    if (!this.#host.locks.acquire(address, this.id)) {
      this.#log().info({ ...base, outcome: "reject", reason: "in-use" }, "pop3 maildrop already in use");
      return this.#send("-ERR [IN-USE] This mailbox is open in another POP3 session");
    }
    let maildrop: Maildrop;
    try {
      const domain = address.slice(mailbox.localPart.length + 1);
      maildrop = await Maildrop.open(
        maildirPath(this.#host.stateDir, { domain, localPart: mailbox.localPart }),
      );
    } catch (error) {
      this.#host.locks.release(address, this.id);
      this.#log().error({ ...base, err: error }, "pop3 maildrop unreadable");
      return this.#send("-ERR [SYS/TEMP] The mailbox cannot be opened right now; try again later");
    }
    // The client may have gone while the maildrop was read (TS cannot see that across the await).
    if (this.#isClosed()) {
      this.#host.locks.release(address, this.id);
      return;
    }
    this.#address = address;
    this.#maildrop = maildrop;
    this.#state = "transaction";
    this.#host.abuse?.loginSucceeded(this.#remoteAddress);
    const { count, size } = maildrop.visible;
    this.#log().info(
      { ...base, outcome: "accept", tlsProtocol: this.#tlsProtocol, messages: count, bytes: size },
      "pop3 authenticated",
    );
    this.#send(`+OK ${address} has ${count} messages (${size} octets)`);
  }

  /** Logged with the rule id, answered only after a delay, and the third failure closes the session. */
  async #loginFailed(username: string, reason: string, method: string): Promise<void> {
    this.#failedLogins += 1;
    this.#log().info(
      {
        ...this.#logBase(),
        phase: "auth",
        rule: AUTH_RULE,
        outcome: "reject",
        user: username.slice(0, 320),
        reason,
        method,
        remoteAddress: this.#remoteAddress,
        failures: this.#failedLogins,
      },
      "pop3 authentication failed",
    );
    // Row 21: the failure that trips brute force closes the session with the block's reason.
    const blocked = this.#host.abuse?.loginFailed(this.#remoteAddress) ?? null;
    await new Promise((resolve) => setTimeout(resolve, this.#host.failedLoginDelayMs));
    if (this.#state === "closed") return;
    if (blocked) {
      this.#log().info(
        {
          ...this.#logBase(),
          phase: "auth",
          rule: blocked.rule,
          outcome: "reject",
          code: blocked.reply.code,
        },
        "rule decided",
      );
      this.#endReason = "too-many-errors";
      this.#send(`-ERR ${pop3Reply(blocked.reply)}`);
      return this.#end();
    }
    if (this.#failedLogins >= MAX_FAILED_LOGINS) {
      this.#endReason = "too-many-errors";
      this.#send("-ERR [AUTH] Authentication failed; too many attempts, closing");
      return this.#end();
    }
    this.#send("-ERR [AUTH] Authentication failed");
  }

  async #retrieve(keyword: "RETR" | "TOP", args: string[], maildrop: Maildrop): Promise<void> {
    const expected = keyword === "RETR" ? 1 : 2;
    if (args.length !== expected) {
      return this.#badCommand(
        keyword === "RETR"
          ? "-ERR RETR needs a message number"
          : "-ERR TOP needs a message number and a line count",
      );
    }
    const message = this.#message(maildrop, args[0]!);
    if (!message) return;
    let bodyLines: number | undefined;
    if (keyword === "TOP") {
      if (!/^\d{1,9}$/.test(args[1]!)) return this.#badCommand("-ERR TOP needs a non-negative line count");
      bodyLines = Number(args[1]);
    }
    let handle: FileHandle;
    try {
      handle = await maildrop.openMessage(message);
    } catch (error) {
      this.#log().warn(
        { ...this.#logBase(), user: this.#address, uid: message.uid, err: error },
        "pop3 message unreadable",
      );
      return this.#send("-ERR [SYS/TEMP] That message cannot be read right now");
    }
    try {
      this.#send(keyword === "RETR" ? `+OK ${message.size} octets` : "+OK Top of message follows");
      await maildrop.streamMessage(handle, { dotStuff: true, bodyLines }, (chunk) => this.#write(chunk));
      this.#send(".");
    } catch (error) {
      // Half a message has been sent: the reply cannot be completed, so the connection goes.
      this.#log().error(
        { ...this.#logBase(), user: this.#address, uid: message.uid, err: error },
        "pop3 retrieval failed",
      );
      this.#endReason = "error";
      this.#socket.destroy();
      return;
    } finally {
      await handle.close();
    }
    if (keyword === "RETR") {
      message.isRetrieved = true;
      this.#retrieved += 1;
    }
  }

  async #quit(): Promise<void> {
    this.#endReason = "quit";
    if (this.#state !== "transaction" || !this.#maildrop || !this.#address) {
      this.#send(`+OK ${this.#host.hostname} POP3 server signing off`);
      return this.#end();
    }
    this.#state = "update";
    const maildrop = this.#maildrop;
    const base = { ...this.#logBase(), user: this.#address };
    try {
      const { deleted, failed } = await maildrop.commit();
      this.#deleted = deleted;
      if (failed > 0) {
        this.#log().error({ ...base, deleted, failed }, "pop3 could not delete some messages");
        this.#send(`-ERR [SYS/TEMP] ${failed} messages could not be deleted; ${deleted} were`);
      } else {
        this.#send(`+OK ${this.#host.hostname} signing off (${deleted} messages deleted)`);
      }
    } catch (error) {
      this.#log().error({ ...base, err: error }, "pop3 update failed");
      this.#send("-ERR [SYS/TEMP] Deletions may not have been saved");
    } finally {
      // Released only once the maildrop is final, so the next session sees the result.
      this.#host.locks.release(this.#address, this.id);
    }
    this.#end();
  }

  /** Resolves a message-number argument or answers -ERR (and returns undefined). */
  #message(maildrop: Maildrop, argument: string): MaildropMessage | undefined {
    if (!/^[1-9]\d{0,9}$/.test(argument)) {
      this.#badCommand("-ERR Not a message number");
      return undefined;
    }
    const message = maildrop.find(Number(argument));
    if (!message) this.#send(`-ERR No such message`);
    return message;
  }

  #badCommand(reply: string): void {
    this.#badCommands += 1;
    if (this.#badCommands >= MAX_BAD_COMMANDS) {
      this.#endReason = "too-many-errors";
      this.#send(`${reply}; too many errors, closing`);
      return this.#end();
    }
    this.#send(reply);
  }

  #closeForShutdown(): void {
    if (this.#state === "closed" || this.#isEnding) return;
    this.#endReason = "shutdown";
    this.#send("-ERR [SYS/TEMP] Server shutting down; no changes were made");
    this.#end();
  }

  /** Ends after the last reply is flushed; a client that never closes is dropped after a grace. */
  #end(): void {
    if (this.#isEnding) return;
    this.#isEnding = true;
    this.#input = Buffer.alloc(0);
    this.#socket.off("data", this.#onData);
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), END_GRACE_MS).unref();
  }

  #send(line: string): void {
    this.#rawWrite(`${line}\r\n`);
  }

  #sendMultiline(first: string, lines: string[]): void {
    const body = lines.map((line) => (line.startsWith(".") ? `.${line}` : line));
    this.#rawWrite([first, ...body, "."].join("\r\n") + "\r\n");
  }

  #rawWrite(data: string | Buffer): boolean {
    if (this.#isEnding || this.#socket.destroyed) return true;
    this.#bytesSent += typeof data === "string" ? Buffer.byteLength(data) : data.length;
    return this.#socket.write(data);
  }

  /** Writes with backpressure; rejects if the connection goes away mid-message. */
  #write(chunk: Buffer): Promise<void> {
    if (this.#socket.destroyed || this.#isEnding) return Promise.reject(new Error("connection closed"));
    if (this.#rawWrite(chunk)) return Promise.resolve();
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        socket.off("close", onClose);
        resolve();
      };
      const onClose = () => {
        socket.off("drain", onDrain);
        reject(new Error("connection closed"));
      };
      socket.once("drain", onDrain);
      socket.once("close", onClose);
    });
  }
}

function printable(value: string): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, "?");
  return cleaned.length > 16 ? `${cleaned.slice(0, 16)}…` : cleaned;
}

/** An SMTP-style refusal as a POP3 -ERR text: RFC 2449's response code instead of the enhanced status. */
export function pop3Reply(reply: { code: number; message: string }): string {
  const text = reply.message.replace(/^\d\.\d{1,3}\.\d{1,3} /, "");
  return `[${reply.code >= 500 ? "SYS/PERM" : "SYS/TEMP"}] ${text}`;
}
