// How AUTH is hidden before TLS (POLICY.md row 13). smtp-server advertises AUTH in EHLO before STARTTLS
// and answers an early attempt with a non-standard "538 Must issue a STARTTLS command first". We want
// AUTH to be absent from the EHLO reply AND an attempt to get RFC 4954's "538 5.7.11".
//
// 1. Hiding uses smtp-server's documented per-session switch: `session.disabledCommands = ["AUTH"]`
//    (set in onConnect while the connection is plain, cleared in onSecure). smtp-server then leaves AUTH
//    out of EHLO for that session only.
// 2. A disabled command would be answered "500 command not recognized". This subclass routes AUTH
//    commands of such a session to `onHiddenAuth` instead, which runs the auth-only-over-tls rule and
//    returns its 538 reply. Everything else goes to smtp-server untouched. smtp-server builds its
//    connections in `connect()`, so that is the one method overridden here, reproducing its five lines.
import type net from "node:net";
import type tls from "node:tls";
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";
import { SMTPConnection, type SMTPConnectionOptions } from "smtp-server/lib/smtp-connection.js";

export interface Reply {
  code: number;
  message: string;
}

export interface PolicySmtpServerOptions extends SMTPServerOptions {
  /** Answers an AUTH attempt on a session whose AUTH is hidden. null → let smtp-server answer. */
  onHiddenAuth(session: SMTPServerSession): Promise<Reply | null>;
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
  readonly #onHiddenAuth: PolicySmtpServerOptions["onHiddenAuth"];

  constructor(
    server: PolicySmtpServer,
    socket: net.Socket | tls.TLSSocket,
    options: SMTPConnectionOptions | null | undefined,
    onHiddenAuth: PolicySmtpServerOptions["onHiddenAuth"],
  ) {
    super(server, socket, options);
    this.#onHiddenAuth = onHiddenAuth;
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    if (!this.#isHiddenAuthAttempt(command)) return super._onCommand(command, callback);
    // smtp-server's parser waits for `callback` before reading the next command, so the async
    // decision cannot race with pipelined commands.
    this.#onHiddenAuth(this.session)
      .catch(() => ({ code: 454, message: "4.7.0 Temporary authentication failure" }))
      .then((reply) => {
        if (!reply) return super._onCommand(command, callback);
        this.send(reply.code, reply.message);
        callback?.();
      });
  }

  #isHiddenAuthAttempt(command: Buffer): boolean {
    // Only a fresh command line of an established, greeted session; continuation lines, the TLS
    // handshake window, early talkers and shutdown keep smtp-server's own handling.
    if (this._nextHandler || !this._ready || this._upgrading || this._server._closeTimeout) return false;
    if (this.hostNameAppearsAs === false) return false;
    const name = command.toString("latin1").trim().split(/\s+/, 1)[0]?.toUpperCase();
    return name === "AUTH" && isAuthHidden(this.session);
  }
}

export class PolicySmtpServer extends SMTPServer {
  readonly #onHiddenAuth: PolicySmtpServerOptions["onHiddenAuth"];

  constructor(options: PolicySmtpServerOptions) {
    super(options);
    this.#onHiddenAuth = options.onHiddenAuth;
  }

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new PolicySmtpConnection(this, socket, socketOptions, this.#onHiddenAuth);
    this.connections.add(connection);
    connection.on("error", (error: Error) => this._onError(error));
    connection.on("connect", (data: Parameters<SMTPServer["_onClientConnect"]>[0]) =>
      this._onClientConnect(data),
    );
    connection.init();
  }
}
