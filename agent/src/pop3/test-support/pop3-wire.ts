// A bare POP3 line reader for the few tests that must control the exact bytes and timing on the wire
// (commands pipelined behind STLS, a session open while the server stops) — what poplib never does.
import net from "node:net";
import tls from "node:tls";

export class Pop3Wire {
  #socket: net.Socket;
  #buffer = "";
  #lines: string[] = [];
  #waiters: ((line: string | null) => void)[] = [];
  #isClosed = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    this.#attach(socket);
  }

  static async connect(port: number, options: { implicitTls?: boolean } = {}): Promise<Pop3Wire> {
    const socket = options.implicitTls
      ? tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false })
      : net.connect({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.implicitTls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    return new Pop3Wire(socket);
  }

  #attach(socket: net.Socket): void {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      let index: number;
      while ((index = this.#buffer.indexOf("\r\n")) >= 0) {
        const line = this.#buffer.slice(0, index);
        this.#buffer = this.#buffer.slice(index + 2);
        const waiter = this.#waiters.shift();
        if (waiter) waiter(line);
        else this.#lines.push(line);
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.#isClosed = true;
      for (const waiter of this.#waiters.splice(0)) waiter(null);
    });
  }

  /** The next line, or null once the server closed the connection. */
  read(timeoutMs = 5000): Promise<string | null> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#isClosed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no line from the server in time")), timeoutMs);
      this.#waiters.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }

  /** Lines received so far and not read (nothing is waiting). */
  unread(): string[] {
    return [...this.#lines];
  }

  write(data: string): void {
    this.#socket.write(data);
  }

  async command(line: string): Promise<string | null> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** TLS over the same connection (after +OK to STLS). */
  async startTls(): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners("data");
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#attach(secure);
  }

  close(): void {
    this.#socket.destroy();
  }
}
