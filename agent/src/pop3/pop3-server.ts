// The agent's POP3 server: `pop3` (110, plain with STLS) and `pop3s` (995, implicit TLS) serving each
// mailbox's Maildir, each open only while the config's `listeners` names it (setListeners). It has no policy of its own: the config is the one the SMTP server enforces (read
// live, so a pushed config applies to the next connection), the certificate and TLS options are the
// SMTP ones (tlsOptionsFor: minimum version from policy, strong suites, no renegotiation), and the
// password check is the SMTP AUTH one. The IP blacklist (row 19) turns clients away here too.
import net from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import type { AbuseDetection } from "../ids/abuse-detection";
import type { WeakPasswords } from "../posture/weak-passwords";
import type { ActiveConfig } from "../smtp/active-config";
import type { ListenerAddress } from "../smtp/mail-server";
import { isAuthOfferedBeforeTls } from "../smtp/rules/auth-only-over-tls";
import { blacklistEntryFor, IP_BLACKLIST_RULE } from "../smtp/rules/ip-blacklist";
import { tlsOptionsFor, tlsPolicyKey, type TlsMaterial } from "../smtp/tls";
import {
  MaildropLocks,
  Pop3Session,
  pop3Reply,
  type Pop3ListenerName,
  type SessionHost,
} from "./pop3-session";

export type { Pop3ListenerName } from "./pop3-session";

export interface Pop3ServerOptions {
  listeners: Record<Pop3ListenerName, ListenerAddress>;
  hostname: string;
  stateDir: string;
  tls: TlsMaterial;
  /** The active config (the mail server's snapshot). */
  config(): ActiveConfig;
  logger: Logger;
  /** Autologout (RFC 1939 §3 asks for at least 10 minutes). */
  idleTimeoutMs: number;
  /** How long sessions busy with a command may finish on close. */
  closeTimeoutMs: number;
  /** Delay before a failed login is answered. */
  failedLoginDelayMs?: number;
  /** Row 14: logins whose password fails the policy in force, for the posture. */
  weakPasswords?: WeakPasswords | undefined;
  /** Row 21: the SMTP listeners' abuse detection; POP3 connections and logins count there too. */
  abuse?: AbuseDetection | undefined;
}

export interface Pop3ListenerPosture {
  name: Pop3ListenerName;
  port: number;
  tls: "starttls" | "implicit";
  authAdvertisedBeforeTls: boolean;
}

const listenerNames: readonly Pop3ListenerName[] = ["pop3", "pop3s"];
const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

export class Pop3Server {
  readonly #options: Pop3ServerOptions;
  readonly #host: SessionHost;
  readonly #servers = new Map<Pop3ListenerName, net.Server>();
  readonly #ports = new Map<Pop3ListenerName, number>();
  readonly #sessions = new Set<Pop3Session>();
  /** Pending implicit-TLS handshakes, so close() can drop them. */
  readonly #handshakes = new Set<net.Socket>();
  #context: { key: string; context: tls.SecureContext } | null = null;
  #isClosing = false;

  private constructor(options: Pop3ServerOptions) {
    this.#options = options;
    this.#host = {
      hostname: options.hostname,
      stateDir: options.stateDir,
      logger: options.logger,
      locks: new MaildropLocks(),
      weakPasswords: options.weakPasswords,
      abuse: options.abuse,
      idleTimeoutMs: options.idleTimeoutMs,
      failedLoginDelayMs: options.failedLoginDelayMs ?? 1000,
      config: options.config,
      secureContext: () => this.#secureContext(),
    };
  }

  static async start(options: Pop3ServerOptions): Promise<Pop3Server> {
    const server = new Pop3Server(options);
    try {
      server.#secureContext(); // a broken key or certificate fails the start, not the first client
      const wanted = new Set<string>(options.config().raw.listeners);
      for (const name of listenerNames) if (wanted.has(name)) await server.#listen(name);
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  /** Bound port of each listener; 0 while it is closed. */
  get ports(): Record<Pop3ListenerName, number> {
    return { pop3: this.#ports.get("pop3") ?? 0, pop3s: this.#ports.get("pop3s") ?? 0 };
  }

  /**
   * Opens the listeners `wanted` names and closes the others. A closed listener accepts nothing more;
   * sessions it already accepted end as usual (QUIT or autologout), like every other session. Returns
   * the listeners that could not be opened, each with why.
   */
  async setListeners(wanted: ReadonlySet<string>): Promise<string[]> {
    const failures: string[] = [];
    for (const name of listenerNames) {
      const server = this.#servers.get(name);
      if (!wanted.has(name)) {
        if (!server) continue;
        this.#servers.delete(name);
        this.#ports.delete(name);
        server.close();
        this.#options.logger.info({ listener: name }, "pop3 listener closed");
      } else if (!server && !this.#isClosing) {
        await this.#listen(name).catch((error: Error) => failures.push(error.message));
      }
    }
    return failures;
  }

  /** The listeners open now, nothing else. */
  listenersPosture(): Pop3ListenerPosture[] {
    const config = this.#options.config();
    return listenerNames
      .filter((name) => this.#servers.has(name))
      .map((name) => ({
        name,
        port: this.#ports.get(name) ?? 0,
        tls: name === "pop3s" ? "implicit" : "starttls",
        authAdvertisedBeforeTls: name === "pop3" && isAuthOfferedBeforeTls(config.server),
      }));
  }

  /** Stops listening, ends idle sessions now and busy ones after their command (or the grace). */
  async close(): Promise<void> {
    this.#isClosing = true;
    const listening = [...this.#servers.values()].map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    this.#servers.clear();
    for (const socket of this.#handshakes) socket.destroy();
    const sessions = [...this.#sessions];
    for (const session of sessions) session.shutdown();
    const grace = setTimeout(() => {
      for (const session of sessions) session.destroy();
    }, this.#options.closeTimeoutMs);
    await Promise.all(sessions.map((session) => session.closed));
    clearTimeout(grace);
    await Promise.all(listening);
  }

  /** One context per TLS policy (minimum version, cipher suites), rebuilt when a push changes it. */
  #secureContext(): tls.SecureContext {
    const policy = this.#options.config().server;
    const key = tlsPolicyKey(policy);
    if (this.#context?.key !== key) {
      this.#context = {
        key,
        context: tls.createSecureContext(tlsOptionsFor(policy, this.#options.tls)),
      };
    }
    return this.#context.context;
  }

  async #listen(name: Pop3ListenerName): Promise<void> {
    const address = this.#options.listeners[name];
    const server = net.createServer((socket) => this.#onConnection(name, socket));
    server.on("error", (error: Error) => {
      this.#options.logger.warn({ listener: name, err: error.message }, "pop3 listener error");
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) =>
        reject(new Error(`cannot listen on ${address.host}:${address.port} (${name}): ${error.message}`));
      server.once("error", onError);
      server.listen(address.port, address.host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    this.#servers.set(name, server);
    const bound = server.address() as net.AddressInfo;
    this.#ports.set(name, bound.port);
    this.#options.logger.info(
      { listener: name, host: address.host, port: bound.port },
      "pop3 listener ready",
    );
  }

  #onConnection(listener: Pop3ListenerName, socket: net.Socket): void {
    socket.on("error", () => undefined); // reported by the session; a reset before that is not news
    if (this.#isClosing) {
      socket.destroy();
      return;
    }
    // Row 19: a blacklisted address gets no POP3 session either (no password guessing from there).
    const client = socket.remoteAddress ?? "";
    const blocked = blacklistEntryFor(this.#options.config().server, client, Date.now());
    if (blocked) {
      this.#options.logger.info(
        {
          phase: "connect",
          listener,
          client,
          rule: IP_BLACKLIST_RULE,
          outcome: "reject",
          network: blocked.network,
          reason: blocked.reason,
        },
        "rule decided",
      );
      // On 995 nothing can be said before a TLS handshake we would rather not spend on it.
      if (listener === "pop3") socket.end("-ERR [SYS/PERM] Connections from your address are refused\r\n");
      else socket.destroy();
      return;
    }
    // Row 21: a blocked address too; the connection counts towards the DoS rule.
    const abuse = this.#options.abuse?.admit(client) ?? null;
    if (abuse) {
      const { code, message } = abuse.reply;
      this.#options.logger.info(
        { phase: "connect", listener, client, rule: abuse.rule, outcome: "reject", code, reply: message },
        "rule decided",
      );
      if (listener === "pop3") socket.end(`-ERR ${pop3Reply(abuse.reply)}\r\n`);
      else socket.destroy();
      return;
    }
    if (listener === "pop3") {
      this.#track(new Pop3Session(socket, { host: this.#host, listener, isSecure: false }));
      return;
    }
    let secure: tls.TLSSocket;
    try {
      secure = new tls.TLSSocket(socket, {
        isServer: true,
        secureContext: this.#secureContext(),
        requestCert: false,
      });
    } catch (error) {
      this.#options.logger.error({ listener, err: error }, "no TLS context for pop3s");
      socket.destroy();
      return;
    }
    this.#handshakes.add(socket);
    const timer = setTimeout(() => secure.destroy(), TLS_HANDSHAKE_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      this.#handshakes.delete(socket);
    };
    secure.on("error", (error: Error) => {
      this.#options.logger.debug(
        { listener, remoteAddress: socket.remoteAddress, err: error.message },
        "pop3s tls failed",
      );
      secure.destroy();
    });
    secure.once("close", done);
    secure.once("secure", () => {
      done();
      if (this.#isClosing) {
        secure.destroy();
        return;
      }
      this.#track(new Pop3Session(secure, { host: this.#host, listener, isSecure: true }));
    });
  }

  #track(session: Pop3Session): void {
    this.#sessions.add(session);
    void session.closed.then(() => this.#sessions.delete(session));
    session.start();
  }
}
