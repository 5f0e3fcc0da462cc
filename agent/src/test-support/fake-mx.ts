// A remote mail server for delivery tests: a real smtp-server on loopback with STARTTLS (a self-signed
// certificate, as many real MX hosts have), recording every message it accepts with its envelope and
// whether the session was encrypted. `answer` decides each RCPT TO (null = accept), so tests can make a
// recipient fail temporarily (4xx) or permanently (5xx).
import type net from "node:net";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { silentLogger } from "../log";
import { loadTlsMaterial } from "../smtp/tls";

export interface ReceivedMessage {
  mailFrom: string;
  rcptTo: string[];
  /** The session ran over STARTTLS. */
  secure: boolean;
  tlsProtocol: string | null;
  heloName: string;
  body: string;
}

export type RcptAnswer = { code: number; message: string } | null;

export class FakeMx {
  readonly received: ReceivedMessage[] = [];
  /** Decides RCPT TO; return null to accept. */
  answer: (recipient: string, attempt: number) => RcptAnswer = () => null;
  /** RCPT TO seen per recipient (attempts, including refused ones). */
  readonly rcptCount = new Map<string, number>();
  readonly #server: SMTPServer;
  #port = 0;

  private constructor(tls: { key: string; cert: string }) {
    this.#server = new SMTPServer({
      key: tls.key,
      cert: tls.cert,
      name: "mx.fake.test",
      logger: false,
      authOptional: true,
      disabledCommands: ["AUTH"],
      disableReverseLookup: true,
      onRcptTo: (address, _session, callback) => {
        const attempt = (this.rcptCount.get(address.address) ?? 0) + 1;
        this.rcptCount.set(address.address, attempt);
        const answer = this.answer(address.address, attempt);
        if (!answer) return callback();
        callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          this.received.push(record(session, Buffer.concat(chunks).toString("utf8")));
          callback();
        });
      },
    });
    this.#server.on("error", () => undefined);
  }

  /** `port` 0 picks a free one; a given port lets a test bring a server "back up" where it was down. */
  static async start(stateDir: string, port = 0): Promise<FakeMx> {
    const tls = await loadTlsMaterial({ stateDir, hostname: "mx.fake.test", logger: silentLogger() });
    const mx = new FakeMx(tls);
    await new Promise<void>((resolve) => mx.#server.listen(port, "127.0.0.1", resolve));
    mx.#port = (mx.#server.server.address() as net.AddressInfo).port;
    return mx;
  }

  get port(): number {
    return this.#port;
  }

  /** Messages that went to `address`. */
  messagesFor(address: string): ReceivedMessage[] {
    return this.received.filter((message) => message.rcptTo.includes(address));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function record(session: SMTPServerSession, body: string): ReceivedMessage {
  return {
    mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
    rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
    secure: session.secure,
    tlsProtocol: session.secure && session.tlsOptions ? session.tlsOptions.version : null,
    heloName: session.hostNameAppearsAs,
    body,
  };
}
