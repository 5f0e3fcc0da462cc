// Row 12 as a client sees it: TLS 1.0/1.1 never negotiated, weak (CBC) suites refused, the minimum
// version and the cipher policy follow a push for new connections on SMTP and POP3, no client may
// renegotiate, and the self-signed certificate is made once.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent";
import { agentConfig, startTestAgent, tempDir } from "../test-support/fixtures";
import { SmtpDialog } from "../test-support/smtp-dialog";

type Handshake = { ok: true; protocol: string | null } | { ok: false; error: string };

function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
    socket.once("secureConnect", () => {
      resolve({ ok: true, protocol: socket.getProtocol() });
      socket.destroy();
    });
    socket.once("error", (error) => resolve({ ok: false, error: error.message }));
  });
}

// OpenSSL 3 clients refuse TLS < 1.2 at the default security level; level 0 lets the test client
// really offer TLS 1.1, so a refusal proves the server's choice, not the client's.
const legacyClient: tls.ConnectionOptions = {
  minVersion: "TLSv1.1",
  maxVersion: "TLSv1.1",
  ciphers: "DEFAULT@SECLEVEL=0",
};

let agent: RunningAgent;
let state: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  state = await tempDir();
  agent = await startTestAgent(state.dir);
});

afterAll(async () => {
  await agent?.stop();
  await state?.remove();
});

describe("TLS versions and ciphers", () => {
  it("the legacy test client can speak TLS 1.1 to a permissive server (control)", async () => {
    const certFile = path.join(state.dir, "tls", "cert.pem");
    const server = tls.createServer({
      cert: await readFile(certFile, "utf8"),
      key: await readFile(path.join(state.dir, "tls", "key.pem"), "utf8"),
      minVersion: "TLSv1",
      ciphers: "DEFAULT@SECLEVEL=0",
    });
    server.on("secureConnection", (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      expect(await handshake(port, legacyClient)).toEqual({ ok: true, protocol: "TLSv1.1" });
    } finally {
      server.close();
    }
  });

  it("refuses a TLS 1.1 client and accepts TLS 1.2 and 1.3 by default", async () => {
    expect((await handshake(agent.ports.submissionTls, legacyClient)).ok).toBe(false);
    expect(await handshake(agent.ports.submissionTls, { maxVersion: "TLSv1.2" })).toEqual({
      ok: true,
      protocol: "TLSv1.2",
    });
    expect(await handshake(agent.ports.submissionTls, {})).toEqual({ ok: true, protocol: "TLSv1.3" });
  });

  it("refuses CBC suites, accepts ECDHE with AEAD", async () => {
    const cbc = await handshake(agent.ports.submissionTls, {
      maxVersion: "TLSv1.2",
      ciphers: "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA",
    });
    expect(cbc.ok).toBe(false);
    const aead = await handshake(agent.ports.submissionTls, {
      maxVersion: "TLSv1.2",
      ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256",
    });
    expect(aead.ok).toBe(true);
  });

  it("after a push to TLSv1.3, new connections refuse TLS 1.2 on every listener", async () => {
    const posture = await agent.posture();
    expect(posture.tlsVersions).toEqual(["TLSv1.2", "TLSv1.3"]);

    expect((await agent.applyConfig(2, agentConfig([], { tlsMinVersion: "TLSv1.3" }))).ok).toBe(true);
    expect((await handshake(agent.ports.submissionTls, { maxVersion: "TLSv1.2" })).ok).toBe(false);
    expect(await handshake(agent.ports.submissionTls, {})).toEqual({ ok: true, protocol: "TLSv1.3" });

    const { dialog } = await SmtpDialog.connect(agent.ports.submission);
    try {
      await dialog.command("EHLO client.test");
      await expect(dialog.startTls({ maxVersion: "TLSv1.2" })).rejects.toThrow();
    } finally {
      dialog.close();
    }
    expect((await agent.posture()).tlsVersions).toEqual(["TLSv1.3"]);

    expect((await agent.applyConfig(3, agentConfig([], { tlsMinVersion: "TLSv1.2" }))).ok).toBe(true);
    expect((await handshake(agent.ports.submissionTls, { maxVersion: "TLSv1.2" })).ok).toBe(true);
  });
});

describe("certificate", () => {
  it("generates a self-signed certificate once (key 0600) and reuses it on restart", async () => {
    const certFile = path.join(state.dir, "tls", "cert.pem");
    const keyFile = path.join(state.dir, "tls", "key.pem");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const firstCert = await readFile(certFile, "utf8");

    const posture = await agent.posture();
    expect(posture.certificate).toMatchObject({ subject: "CN=mx.agent.test", selfSigned: true });
    expect(posture.certificate.daysLeft).toBeGreaterThan(300);

    // a restart (one agent per state directory); the restarted agent serves the tests below
    await agent.stop();
    agent = await startTestAgent(state.dir);
    expect(await readFile(certFile, "utf8")).toBe(firstCert);
    expect((await agent.posture()).certificate.subject).toBe("CN=mx.agent.test");
  });
});

describe("cipher suites and renegotiation on every listener (row 12)", () => {
  /** What a client that tries to renegotiate an established TLS 1.2 session sees. */
  function renegotiate(port: number): Promise<string> {
    return new Promise((resolve) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        rejectUnauthorized: false,
        maxVersion: "TLSv1.2",
      });
      socket.once("secureConnect", () => {
        socket.renegotiate({ rejectUnauthorized: false }, (error) => {
          resolve(error ? ((error as NodeJS.ErrnoException).code ?? error.message) : "renegotiated");
          socket.destroy();
        });
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        resolve(error.code ?? error.message);
        socket.destroy();
      });
    });
  }

  const cbc = { maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA" } as const;
  // AES-GCM without ECDHE: no forward secrecy, refused whatever the policy says.
  const noForwardSecrecy = { maxVersion: "TLSv1.2", ciphers: "AES128-GCM-SHA256:AES256-GCM-SHA384" } as const;

  it("a client cannot renegotiate, on SMTP (465) and POP3 (995)", async () => {
    expect(await renegotiate(agent.ports.submissionTls)).toBe("ERR_SSL_NO_RENEGOTIATION");
    expect(await renegotiate(agent.ports.pop3s)).toBe("ERR_SSL_NO_RENEGOTIATION");
  });

  it("strong (the default): CBC and suites without forward secrecy are refused on SMTP and POP3", async () => {
    for (const port of [agent.ports.submissionTls, agent.ports.pop3s]) {
      expect((await handshake(port, cbc)).ok).toBe(false);
      expect((await handshake(port, noForwardSecrecy)).ok).toBe(false);
      expect((await handshake(port, { maxVersion: "TLSv1.2" })).ok).toBe(true);
    }
    const { dialog } = await SmtpDialog.connect(agent.ports.inbound);
    try {
      await dialog.command("EHLO client.test");
      await expect(dialog.startTls(cbc)).rejects.toThrow();
    } finally {
      dialog.close();
    }
  });

  it("compatible adds ECDHE with CBC for old clients, never RSA key exchange nor renegotiation", async () => {
    expect((await agent.applyConfig(10, agentConfig([], { tlsCiphers: "compatible" }))).ok).toBe(true);
    try {
      for (const port of [agent.ports.submissionTls, agent.ports.pop3s]) {
        expect(await handshake(port, cbc)).toEqual({ ok: true, protocol: "TLSv1.2" });
        expect((await handshake(port, noForwardSecrecy)).ok).toBe(false);
        expect(await renegotiate(port)).toBe("ERR_SSL_NO_RENEGOTIATION");
      }
    } finally {
      expect((await agent.applyConfig(11, agentConfig([], { tlsCiphers: "strong" }))).ok).toBe(true);
    }
    expect((await handshake(agent.ports.submissionTls, cbc)).ok).toBe(false);
    expect((await handshake(agent.ports.pop3s, cbc)).ok).toBe(false);
  });
});
