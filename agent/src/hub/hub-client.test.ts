// The agent against a real (tiny) hub on loopback: enrollment, hello, config push and ack, posture,
// reconnects after drops and silence, and the close codes that must stop the retrying — while mail
// keeps flowing.
import { readFile, stat } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { CloseCode } from "@mailwarden/protocol";
import type { RunningAgent } from "../agent";
import { appliedConfigPath } from "../state/applied-config";
import { credentialPath } from "../state/credential";
import { AGENT_ID, AGENT_SECRET, FakeHub, VALID_TOKEN, type FakeHubOptions } from "../test-support/fake-hub";
import { agentConfig, hashPassword, startTestAgent, tempDir, waitFor } from "../test-support/fixtures";
import { SmtpDialog } from "../test-support/smtp-dialog";
import { enroll, EnrollmentError } from "./enroll";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const fastReconnect = { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } };

async function setup(hubOptions: FakeHubOptions = {}) {
  const hub = await FakeHub.start(hubOptions);
  const state = await tempDir();
  cleanups.push(state.remove, () => hub.close());
  await enroll({
    url: hub.url,
    token: VALID_TOKEN,
    hostname: "mx.agent.test",
    agentVersion: "0.1.0",
    stateDir: state.dir,
  });
  const start = async (): Promise<RunningAgent> => {
    const agent = await startTestAgent(state.dir, fastReconnect, true);
    cleanups.push(() => agent.stop());
    return agent;
  };
  return { hub, stateDir: state.dir, start };
}

describe("enrollment", () => {
  it("writes the credential file with mode 0600", async () => {
    const hub = await FakeHub.start();
    const state = await tempDir();
    cleanups.push(state.remove, () => hub.close());
    const httpStyleUrl = hub.url.replace("ws://", "http://").replace("/agent", "");
    const { credential, file } = await enroll({
      url: httpStyleUrl,
      token: VALID_TOKEN,
      hostname: "mx.agent.test",
      agentVersion: "0.1.0",
      stateDir: state.dir,
    });
    expect(file).toBe(credentialPath(state.dir));
    expect(credential).toEqual({ hubUrl: hub.url, agentId: AGENT_ID, secret: AGENT_SECRET });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(credential);
    expect(hub.messages("agent.enroll")[0]).toMatchObject({ protocolVersion: 1, hostname: "mx.agent.test" });
  });

  it("reports an invalid token (close 4004) and writes nothing", async () => {
    const hub = await FakeHub.start();
    const state = await tempDir();
    cleanups.push(state.remove, () => hub.close());
    const attempt = enroll({
      url: hub.url,
      token: "expired-token-000000000000",
      hostname: "h",
      agentVersion: "0.1.0",
      stateDir: state.dir,
    });
    await expect(attempt).rejects.toThrow(
      new EnrollmentError("enrollment token is invalid, used or expired", "token-invalid"),
    );
    await expect(stat(credentialPath(state.dir))).rejects.toThrow();
  });
});

describe("session", () => {
  it("says hello, applies a pushed config, acks it and reports posture", async () => {
    const { hub, stateDir, start } = await setup();
    const agent = await start();
    await waitFor(() => hub.current, 5000, "hello");
    expect(hub.messages("agent.hello")[0]).toMatchObject({
      agentId: AGENT_ID,
      secret: AGENT_SECRET,
      protocolVersion: 1,
      appliedRevision: null,
      hostname: "mx.agent.test",
    });

    const config = agentConfig([
      { name: "example.test", mailboxes: { bob: await hashPassword("bob-Password-123") } },
    ]);
    hub.send({ type: "hub.config.apply", revision: 7, config });
    await waitFor(() => hub.messages("agent.config.applied").length > 0, 5000, "applied ack");
    expect(hub.messages("agent.config.applied")).toEqual([{ type: "agent.config.applied", revision: 7 }]);
    const posture = await waitFor(() =>
      hub.messages("agent.posture").find((m) => m.posture.appliedRevision === 7),
    );
    expect(posture.posture).toMatchObject({ agentVersion: "0.1.0", hostname: "mx.agent.test", queueSize: 0 });
    expect(JSON.parse(await readFile(appliedConfigPath(stateDir), "utf8")).revision).toBe(7);
    expect(agent.appliedRevision()).toBe(7);

    // heartbeats at the announced interval, a posture every 4 of them
    await waitFor(() => hub.messages("agent.heartbeat").length >= 8, 5000, "heartbeats");
    expect(hub.messages("agent.posture").length).toBeGreaterThanOrEqual(3);
  });

  it("rejects an invalid pushed config with its reasons and keeps the previous one", async () => {
    const { hub, start } = await setup();
    const agent = await start();
    await waitFor(() => hub.current);
    hub.send({
      type: "hub.config.apply",
      revision: 1,
      config: agentConfig([{ name: "example.test", mailboxes: {} }]),
    });
    await waitFor(() => hub.messages("agent.config.applied").length === 1);

    const invalid = agentConfig([]);
    hub.send({
      type: "hub.config.apply",
      revision: 2,
      config: { ...invalid, server: { ...invalid.server, tlsMinVersion: "TLSv1" } },
    });
    const rejected = await waitFor(() => hub.messages("agent.config.rejected")[0]);
    expect(rejected.revision).toBe(2);
    expect(rejected.errors[0]).toMatch(/^server\.tlsMinVersion: /);
    expect(agent.appliedRevision()).toBe(1);
  });

  it("ignores bad frames from the hub without dropping the session", async () => {
    const { hub, start } = await setup();
    await start();
    await waitFor(() => hub.current);
    hub.current!.send("this is not json");
    hub.send({ type: "hub.unknown" });
    hub.send({ type: "hub.config.apply", revision: 3, config: agentConfig([]) });
    await waitFor(() => hub.messages("agent.config.applied").length === 1);
    expect(hub.connections).toHaveLength(1);
  });
});

describe("reconnecting", () => {
  it("reconnects after the hub drops the socket and says which revision it runs", async () => {
    const { hub, start } = await setup();
    await start();
    await waitFor(() => hub.current);
    hub.send({ type: "hub.config.apply", revision: 9, config: agentConfig([]) });
    await waitFor(() => hub.messages("agent.config.applied").length === 1);

    // Every heartbeat says it too: an ack lost on the way is made good without a reconnect.
    await waitFor(() => hub.messages("agent.heartbeat").some((beat) => beat.appliedRevision === 9));

    hub.current!.terminate();
    await waitFor(() => hub.connections.length === 2, 5000, "second hello");
    expect(hub.messages("agent.hello")[1]!.appliedRevision).toBe(9);
  });

  it("comes back no sooner than a busy hub's Retry-After asks, then connects", async () => {
    const { hub, start } = await setup();
    hub.refusal = { count: 2, retryAfter: "1" };
    const enrollment = hub.upgrades.length;
    const agent = await start();
    await waitFor(() => hub.current, 10_000, "hello after two refusals");
    const [first, second, third] = hub.upgrades.slice(enrollment);
    expect([first?.refused, second?.refused, third?.refused]).toEqual([true, true, false]);
    // Its own backoff here is 20–100 ms; the hub asked for a second each time.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(1000);
    expect(agent.hub!.connectionAttempts).toBe(3);
  });

  it("reconnects when the hub goes silent for two heartbeat intervals", async () => {
    const { hub, start } = await setup({ heartbeatIntervalMs: 50 });
    await start();
    await waitFor(() => hub.current);
    hub.ackHeartbeats = false;
    await waitFor(() => hub.connections.length >= 2, 5000, "reconnect after silence");
  });

  it("stops retrying after 4003 (revoked) and keeps serving mail", async () => {
    const { hub, start } = await setup();
    const agent = await start();
    await waitFor(() => hub.current);
    hub.current!.close(CloseCode.revoked, "revoked");
    await waitFor(() => agent.hub?.state === "gave-up", 5000, "give up");
    const attempts = agent.hub!.connectionAttempts;
    await new Promise((resolve) => setTimeout(resolve, 400)); // several max backoffs
    expect(agent.hub!.connectionAttempts).toBe(attempts);
    expect(hub.connections).toHaveLength(1);

    const { dialog, greeting } = await SmtpDialog.connect(agent.ports.inbound);
    expect(greeting.code).toBe(220);
    dialog.close();
  });

  it("stops and asks for re-enrollment after 4001", async () => {
    const { hub, start } = await setup();
    const agent = await start();
    await waitFor(() => hub.current);
    hub.current!.close(CloseCode.unauthorized, "unknown agent");
    await waitFor(() => agent.hub?.state === "needs-enrollment", 5000, "needs enrollment");
  });

  it("backs off while the hub is unreachable and connects once it is back", async () => {
    const { hub, start } = await setup();
    const url = new URL(hub.url);
    await hub.close();
    const agent = await start();
    await waitFor(() => agent.hub!.connectionAttempts >= 3, 5000, "retries");
    const revived = await FakeHub.start({}, Number(url.port));
    cleanups.push(() => revived.close());
    await waitFor(() => revived.current, 5000, "hello after the hub came back");
  });
});
