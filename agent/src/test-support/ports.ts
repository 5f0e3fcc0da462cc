// Free loopback ports for tests, the bench and e2e: picked all at once, each held open until every one
// is known — a port closed right away can be handed out again by the next bind, and two listeners of
// one agent once got the same port that way.
import net from "node:net";

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** One port for each of an agent's five listeners. */
export async function freeListenerPorts(): Promise<{
  inbound: number;
  submission: number;
  submissionTls: number;
  pop3: number;
  pop3s: number;
}> {
  const [inbound, submission, submissionTls, pop3, pop3s] = await freePorts(5);
  return {
    inbound: inbound!,
    submission: submission!,
    submissionTls: submissionTls!,
    pop3: pop3!,
    pop3s: pop3s!,
  };
}
