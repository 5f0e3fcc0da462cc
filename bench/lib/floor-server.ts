// The least the agent's parts can cost: smtp-server alone, discarding each message (`discard`), or
// smtp-server plus mailauth's authenticate() on each message, in the same thread (`mailauth`) or in the
// agent's own authentication worker thread (`mailauth-thread`), with the agent's caching resolver,
// parsed-key cache and line-ending pass, and no queue, rules, logs or delivery. Started by `explore.ts floor` beside Haraka: if this server is already slower than Haraka
// discarding, no work on the rest of the agent can bring the agent to Haraka's rate.
//   node --import tsx bench/lib/floor-server.ts <port> discard|mailauth|mailauth-thread <dns host:port>
import pino from "pino";
import { SMTPServer } from "smtp-server";
import { AuthenticationPool } from "../../agent/src/auth/authentication-pool";
import { createDnsResolver } from "../../agent/src/dns/resolver";
import { installFastLineEndings } from "../../agent/src/auth/mailauth-line-endings";
import { authenticateMessage } from "../../agent/src/auth/message-authentication";
import { installPublicKeyCache } from "../../agent/src/auth/public-key-cache";

const [port, mode, dnsServer] = process.argv.slice(2);
if (!port || !["discard", "mailauth", "mailauth-thread"].includes(mode ?? "") || !dnsServer)
  throw new Error("usage: floor-server.ts <port> discard|mailauth|mailauth-thread <dns server host:port>");

installPublicKeyCache();
installFastLineEndings();
const resolver = createDnsResolver({ servers: [dnsServer] });
const authenticator =
  mode === "mailauth-thread"
    ? new AuthenticationPool({ size: 1, resolver, logger: pino({ level: "silent" }) })
    : undefined;

const server = new SMTPServer({
  name: "floor.bench.test",
  banner: "floor",
  authOptional: true,
  disabledCommands: ["AUTH", "STARTTLS"],
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    if (mode === "discard") {
      stream.on("data", () => undefined);
      stream.on("end", () => callback());
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      authenticateMessage({
        message: Buffer.concat(chunks),
        ip: session.remoteAddress,
        helo: session.hostNameAppearsAs,
        sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
        hostname: "floor.bench.test",
        verifyArc: true,
        resolver,
        authenticator,
      }).then(
        (result) =>
          callback(result.dmarc && result.dmarc.status.result !== "pass" ? new Error("dmarc") : null),
        (error: Error) => callback(error),
      );
    });
  },
});
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
