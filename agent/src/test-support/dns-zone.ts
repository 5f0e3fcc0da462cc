// A real DNS server on loopback (dns2, UDP, a free port) serving a small in-memory zone, for tests that
// must see SPF, DKIM and DMARC resolved the way a mail server resolves them in production: through the
// agent's own resolver, over the wire. Unknown names answer NXDOMAIN; `silent` makes the server swallow
// every query, as a dead DNS server would. Every query is recorded.
import dns2 from "dns2";

const { Packet } = dns2;
/** RFC 1035 RCODE 3 (dns2's typings omit Packet.RCODE). */
const NXDOMAIN = 3;

export interface DnsQuery {
  name: string;
  type: string;
}

export class TestDnsServer {
  /** When true, queries are received and recorded but never answered. */
  silent = false;
  /** Names (lower case) whose queries are never answered, as if their servers were down. */
  readonly unanswered = new Set<string>();
  readonly queries: DnsQuery[] = [];
  /** "name/TYPE" → the rdata fields of each record, in dns2's shape ({data}, {address}, {exchange, priority}). */
  readonly #records = new Map<string, Record<string, unknown>[]>();
  readonly #server: ReturnType<typeof dns2.createServer>;
  #port = 0;

  private constructor() {
    this.#server = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const [question] = request.questions;
        if (!question) return;
        const type = typeName(question.type);
        this.queries.push({ name: question.name, type });
        const name = question.name.toLowerCase().replace(/\.$/, "");
        if (this.silent || this.unanswered.has(name)) return;
        const response = Packet.createResponseFromRequest(request);
        const records = this.#records.get(`${name}/${type}`);
        if (records) {
          // dns2 encodes plain objects; its typings want a Resource instance.
          const answers = response.answers as unknown[];
          for (const rdata of records) {
            answers.push({
              name: question.name,
              type: question.type,
              class: Packet.CLASS.IN,
              ttl: 60,
              ...rdata,
            });
          }
        } else if (![...this.#records.keys()].some((key) => this.#isAtOrBelow(key, name))) {
          response.header.rcode = NXDOMAIN;
        }
        // A known name without records of this type: NOERROR with no answers (ENODATA).
        send(response);
      },
    });
  }

  static async start(): Promise<TestDnsServer> {
    const server = new TestDnsServer();
    await server.#server.listen({ udp: { port: 0, address: "127.0.0.1" } });
    const bound = server.#server.addresses().udp;
    if (!bound) throw new Error("dns2 did not bind a UDP port");
    server.#port = bound.port;
    return server;
  }

  /** "127.0.0.1:<port>", as the agent's `dnsServers` setting takes it. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Adds a TXT record; values longer than 255 bytes are split into character-strings (RFC 1035). */
  txt(name: string, value: string): this {
    const strings: string[] = [];
    for (let index = 0; index < value.length; index += 255) strings.push(value.slice(index, index + 255));
    return this.#add(name, "TXT", { data: strings });
  }

  mx(name: string, exchange: string, priority = 10): this {
    return this.#add(name, "MX", { exchange, priority });
  }

  a(name: string, address: string): this {
    return this.#add(name, "A", { address });
  }

  /** A PTR record: `ptr("7.0.0.127.in-addr.arpa", "mx.sender.test")`. */
  ptr(name: string, host: string): this {
    return this.#add(name, "PTR", { domain: host });
  }

  #add(name: string, type: string, rdata: Record<string, unknown>): this {
    const key = `${name.toLowerCase()}/${type}`;
    this.#records.set(key, [...(this.#records.get(key) ?? []), rdata]);
    return this;
  }

  /** Whether a record key's name is `name` or below it (then `name` exists: NOERROR, no data). */
  #isAtOrBelow(key: string, name: string): boolean {
    const owner = key.slice(0, key.lastIndexOf("/"));
    return owner === name || owner.endsWith(`.${name}`);
  }

  async close(): Promise<void> {
    await this.#server.close();
  }

  /** Lets the process exit while the server still listens (for a server shared by a whole test file). */
  unref(): this {
    (this.#server as unknown as { servers: { udp?: { unref(): void } } }).servers.udp?.unref();
    return this;
  }
}

let emptyZone: Promise<TestDnsServer> | undefined;

/**
 * One DNS server with no records (every name NXDOMAIN), shared by the test agents of a file that do not
 * bring their own zone: inbound mail is SPF/DKIM/DMARC-checked, and tests never ask the host's DNS.
 */
export function emptyTestZone(): Promise<TestDnsServer> {
  emptyZone ??= TestDnsServer.start().then((server) => server.unref());
  return emptyZone;
}

function typeName(code: number): string {
  return Object.entries(Packet.TYPE).find(([, value]) => value === code)?.[0] ?? String(code);
}
