// Rules connect.max-clients and connect.max-clients-per-address: a listener serves at most maxClients
// sessions, and at most maxClientsPerAddress from one client address, so one host opening idle
// connections cannot lock everyone else out. The refused connection gets 421 instead of the greeting
// (RFC 5321 3.1) and is closed. Checked when the connection is set up, before smtp-server's 100 ms
// early-talker delay; smtp-server also applies maxClients to implicit-TLS handshakes still in progress.
import type { SessionLimits } from "./limits";
import type { GuardDecision } from "./types";

export interface OpenConnection {
  remoteAddress: string;
}

export function checkConnectionLimits(
  connections: Iterable<OpenConnection>,
  connection: OpenConnection,
  limits: SessionLimits,
  hostname: string,
): GuardDecision | null {
  let total = 0;
  let fromAddress = 0;
  for (const open of connections) {
    total++;
    if (open.remoteAddress === connection.remoteAddress) fromAddress++;
  }
  // `connections` already includes the new one.
  if (total > limits.maxClients) {
    return {
      rule: "connect.max-clients",
      reply: { code: 421, message: `4.7.0 ${hostname} Too many connected clients, try again later` },
    };
  }
  if (fromAddress > limits.maxClientsPerAddress) {
    return {
      rule: "connect.max-clients-per-address",
      reply: {
        code: 421,
        message: `4.7.0 ${hostname} Too many connections from your address, try again later`,
      },
    };
  }
  return null;
}
