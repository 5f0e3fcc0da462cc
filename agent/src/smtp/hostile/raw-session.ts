// Test client for hostile-input tests: writes exactly the bytes a test gives it (bare LFs, NULs,
// thousands of pipelined commands, garbage instead of a TLS handshake), from a chosen loopback source
// address, and reports every reply and the moment the server closed the connection.
import net from "node:net";
import tls from "node:tls";

export interface RawReply {
  code: number;
  /** The reply's lines joined with "\n", as sent. */
  text: string;
}

export interface RawSessionOptions {
  implicitTls?: boolean;
  /** Source address, e.g. "127.0.0.2" to look like another client. */
  localAddress?: string;
  /** Wait for the greeting (default true); it is then the first reply read. */
  waitForGreeting?: boolean;
}

export class RawSession {
  #socket: net.Socket;
  #buffer = "";
  #lines: string[] = [];
  #replies: RawReply[] = [];
  #waiters: (() => void)[] = [];
  #closedAt: number | null = null;
  readonly closed: Promise<number>;
  readonly openedAt = Date.now();

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      const onClose = () => {
        this.#closedAt ??= Date.now();
        this.#wake();
        resolve(this.#closedAt);
      };
      socket.once("close", onClose);
    });
    this.#attach(socket);
  }

  static async connect(port: number, options: RawSessionOptions = {}): Promise<RawSession> {
    const target = { port, host: "127.0.0.1", localAddress: options.localAddress };
    const socket = options.implicitTls
      ? tls.connect({ ...target, rejectUnauthorized: false })
      : net.connect(target);
    await new Promise<void>((resolve, reject) => {
      socket.once(options.implicitTls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    const session = new RawSession(socket);
    if (options.waitForGreeting !== false) await session.waitForReplies(1);
    return session;
  }

  /** Connects without waiting for anything (garbage-TLS tests); errors are swallowed. */
  static async connectRaw(port: number, localAddress?: string): Promise<RawSession> {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    return new RawSession(socket);
  }

  get isClosed(): boolean {
    return this.#closedAt !== null;
  }

  /** Every reply received so far, oldest first, including ones already returned by read(). */
  get replies(): readonly RawReply[] {
    return this.#replies;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed || this.#socket.destroyed) return resolve();
      this.#socket.write(data, () => resolve());
    });
  }

  /** Resolves once `count` replies have arrived in total (or the connection closed). */
  async waitForReplies(count: number, timeoutMs = 10_000): Promise<readonly RawReply[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.#replies.length < count && !this.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited for ${count} replies, got ${this.#replies.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#replies;
  }

  /** Sends one command line and returns its reply. */
  async command(line: string): Promise<RawReply> {
    const before = this.#replies.length;
    await this.write(line + "\r\n");
    await this.waitForReplies(before + 1);
    const reply = this.#replies[before];
    if (!reply) throw new Error(`connection closed before a reply to ${JSON.stringify(line.slice(0, 40))}`);
    return reply;
  }

  /** STARTTLS and the handshake; the server expects EHLO again afterwards. */
  async startTls(): Promise<void> {
    const reply = await this.command("STARTTLS");
    if (reply.code !== 220) throw new Error(`STARTTLS refused: ${reply.text}`);
    this.#socket.removeAllListeners("data");
    const secure = tls.connect({ socket: this.#socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#attach(secure);
  }

  /** Waits until the server closes the connection; returns the close time. */
  async waitForClose(timeoutMs = 10_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("server did not close the connection")), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #attach(socket: net.Socket): void {
    socket.on("data", (chunk: Buffer) => {
      this.#buffer += chunk.toString("latin1");
      let index: number;
      while ((index = this.#buffer.indexOf("\r\n")) >= 0) {
        const line = this.#buffer.slice(0, index);
        this.#buffer = this.#buffer.slice(index + 2);
        this.#lines.push(line);
        if (line.length < 4 || line[3] !== "-") {
          this.#replies.push({ code: Number(line.slice(0, 3)), text: this.#lines.join("\n") });
          this.#lines = [];
          this.#wake();
        }
      }
    });
    socket.on("error", () => undefined);
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}
