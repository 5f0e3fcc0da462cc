// A bare SMTP client for tests that must see the exact wire: the EHLO capability list before and after
// STARTTLS, reply codes of commands a polite client library would never send.
import net from "node:net";
import tls from "node:tls";

export interface SmtpReply {
  code: number;
  lines: string[];
  /** The whole reply as sent, lines joined with "\n". */
  text: string;
}

export class SmtpDialog {
  #socket: net.Socket;
  #buffer = "";
  #pending: SmtpReply[] = [];
  #waiters: ((reply: SmtpReply) => void)[] = [];
  #current: string[] = [];

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  /** Connects and returns the dialog with the greeting already read. */
  static async connect(
    port: number,
    options: { implicitTls?: boolean } = {},
  ): Promise<{ dialog: SmtpDialog; greeting: SmtpReply }> {
    const socket = options.implicitTls
      ? tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false })
      : net.connect({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.implicitTls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    const dialog = new SmtpDialog(socket);
    return { dialog, greeting: await dialog.read() };
  }

  #attach(socket: net.Socket): void {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      let index: number;
      while ((index = this.#buffer.indexOf("\r\n")) >= 0) {
        const line = this.#buffer.slice(0, index);
        this.#buffer = this.#buffer.slice(index + 2);
        this.#current.push(line);
        if (line.length < 4 || line[3] !== "-") {
          const lines = this.#current;
          this.#current = [];
          const reply = { code: Number(line.slice(0, 3)), lines, text: lines.join("\n") };
          const waiter = this.#waiters.shift();
          if (waiter) waiter(reply);
          else this.#pending.push(reply);
        }
      }
    });
    socket.on("error", () => undefined);
  }

  read(timeoutMs = 5000): Promise<SmtpReply> {
    const ready = this.#pending.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no SMTP reply in time")), timeoutMs);
      this.#waiters.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  async command(line: string): Promise<SmtpReply> {
    this.#socket.write(line + "\r\n");
    return this.read();
  }

  /** Writes raw bytes without waiting for a reply (message bodies). */
  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** STARTTLS and the TLS handshake; the caller sends EHLO again afterwards. */
  async startTls(options: tls.ConnectionOptions = {}): Promise<SmtpReply> {
    const reply = await this.command("STARTTLS");
    if (reply.code !== 220) return reply;
    this.#socket.removeAllListeners("data");
    const secure = tls.connect({ socket: this.#socket, rejectUnauthorized: false, ...options });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#attach(secure);
    return reply;
  }

  close(): void {
    this.#socket.destroy();
  }
}

export function capabilities(ehlo: SmtpReply): string[] {
  return ehlo.lines.slice(1).map((line) => line.slice(4));
}
