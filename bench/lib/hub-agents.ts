// A worker process of simulated agents for the hub benchmark (started by ./hub-agent-pool.ts, driven
// over IPC). Each agent speaks the real protocol the way agent/src/hub/hub-client.ts does: hello with its
// credential and applied revision, heartbeats at the interval the welcome announces, a posture after
// the welcome, after every applied config and every few heartbeats, agent.config.applied for every push,
// heartbeats that carry the applied revision, two silent heartbeat intervals → reconnect, and the
// agent's own jittered backoff between attempts — with the hub's Retry-After honoured when it refuses an
// upgrade with 503. What a real agent does with
// the config (validate, write, apply) is left out: the time of receipt is what is measured. The backoff
// and Retry-After arithmetic is the agent's own (agent/src/hub/backoff.ts), imported, not copied.
//
// Cheap by design, so the hub is what gets measured: one timer for all agents, and frames are
// recognised by their first bytes (a sample is still validated against the protocol's schema).
import type { Socket } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import WebSocket from "ws";
import {
  closeAction,
  hubMessageSchema,
  MAX_FRAME_BYTES,
  parseFrame,
  postureSchema,
  PROTOCOL_VERSION,
  type Posture,
} from "@mailwarden/protocol";
import { backoffDelay, parseRetryAfter, retryAfterDelay } from "../../agent/src/hub/backoff";
import type {
  AgentBehaviour,
  AgentSpec,
  ConnectTimes,
  FanoutTimes,
  WindowStats,
  WorkerStatus,
} from "./hub-agent-pool";
import { emptyWindowStats, monoMs, spread } from "./hub-measure";

type AgentState = "idle" | "connecting" | "session" | "waiting" | "stopped";

interface SimAgent {
  spec: AgentSpec;
  url: string;
  hostname: string;
  localAddress: string | undefined;
  ws: WebSocket | null;
  state: AgentState;
  failures: number;
  appliedRevision: number;
  attemptStartedAt: number;
  wasWelcomed: boolean;
  heartbeatMs: number;
  nextHeartbeatAt: number;
  heartbeatCount: number;
  lastHeartbeatSentAt: number;
  lastFrameAt: number;
  /** Seconds the hub's 503 asked this attempt to wait, if it refused the upgrade. */
  retryAfterSeconds: number | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  firstConnectAt: number;
  firstWelcomeAt: number;
  lastWelcomeAt: number;
  target: number;
  reachedAt: number;
  ackedAt: number;
}

let behaviour: AgentBehaviour;
let agents: SimAgent[] = [];
let isStopping = false;
const startedAt = Date.now();
const gaveUp: Record<string, number> = {};
let reached = 0;
let acked = 0;
let sampleConfigFrame: string | null = null;
const seenTypes = new Set<string>();
let configFramesSeen = 0;

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function freshWindow(): WindowStats & { rtts: number[] } {
  return { ...emptyWindowStats(), rtts: [] };
}
let window = freshWindow();

const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

/** A different loopback address per agent (127.20.0.1 …), as if every agent were its own host. */
function sourceAddress(index: number): string {
  return `127.${20 + Math.floor(index / 62_500)}.${Math.floor(index / 250) % 250}.${1 + (index % 250)}`;
}

// A realistic posture (what agent/src/posture/posture.ts reports for a default install); checked once
// against the protocol's schema so the hub never refuses it for a bench mistake.
const postureTemplate: Posture = postureSchema.parse({
  agentVersion: "0.1.0",
  hostname: "mx.bench.test",
  listeners: [
    { name: "inbound", port: 25, tls: "starttls", authAdvertisedBeforeTls: false },
    { name: "submission", port: 587, tls: "starttls", authAdvertisedBeforeTls: false },
    { name: "submissionTls", port: 465, tls: "implicit", authAdvertisedBeforeTls: false },
    { name: "pop3", port: 110, tls: "starttls", authAdvertisedBeforeTls: false },
    { name: "pop3s", port: 995, tls: "implicit", authAdvertisedBeforeTls: false },
  ],
  tlsVersions: ["TLSv1.2", "TLSv1.3"],
  certificate: {
    subject: "CN=mx.bench.test",
    selfSigned: true,
    notAfter: "2027-12-07T00:00:00.000Z",
    daysLeft: 365,
  },
  queueSize: 3,
  memory: { rssBytes: 98_000_000, heapUsedBytes: 31_000_000 },
  appliedRevision: 1,
  uptimeSeconds: 3600,
  dkim: [
    {
      domain: "d1.customer.bench.test",
      selector: "mw2026",
      publicKey: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".padEnd(392, "x"),
    },
  ],
  weakPasswords: [],
  abuseBlocks: [],
  listBounces: [],
});

function send(agent: SimAgent, message: object): void {
  const ws = agent.ws;
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function sendPosture(agent: SimAgent): void {
  send(agent, {
    type: "agent.posture",
    posture: {
      ...postureTemplate,
      agentVersion: behaviour.agentVersion,
      hostname: agent.hostname,
      appliedRevision: agent.appliedRevision,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) + 3600,
    },
  });
}

function connect(agent: SimAgent): void {
  if (isStopping) return;
  const now = monoMs();
  agent.state = "connecting";
  agent.attemptStartedAt = now;
  if (Number.isNaN(agent.firstConnectAt)) agent.firstConnectAt = now;
  agent.wasWelcomed = false;
  agent.retryAfterSeconds = undefined;
  const ws = new WebSocket(agent.url, {
    perMessageDeflate: false,
    maxPayload: MAX_FRAME_BYTES,
    // The agent's JSON.parse would refuse bad UTF-8; here a sample of frames is parsed and validated.
    skipUTF8Validation: true,
    handshakeTimeout: behaviour.handshakeTimeoutMs,
    localAddress: agent.localAddress,
  });
  agent.ws = ws;
  ws.on("open", () => {
    agent.lastFrameAt = monoMs();
    send(agent, {
      type: "agent.hello",
      protocolVersion: PROTOCOL_VERSION,
      agentId: agent.spec.id,
      secret: agent.spec.secret,
      hostname: agent.hostname,
      agentVersion: behaviour.agentVersion,
      appliedRevision: agent.appliedRevision,
    });
  });
  ws.on("unexpected-response", (_request, response) => {
    count(window.refusals, String(response.statusCode));
    agent.retryAfterSeconds = parseRetryAfter(response.headers["retry-after"]) ?? undefined;
    response.resume();
    ws.terminate();
  });
  ws.on("message", (data, isBinary) => onFrame(agent, data as Buffer, isBinary));
  ws.on("error", (error: NodeJS.ErrnoException) => {
    count(window.errors, error.code ?? error.message.slice(0, 60));
  });
  ws.on("close", (code) => onClose(agent, ws, code));
}

function onClose(agent: SimAgent, ws: WebSocket, code: number): void {
  if (agent.ws !== ws) return;
  agent.ws = null;
  count(window.closesByCode, String(code));
  if (isStopping) {
    agent.state = "stopped";
    return;
  }
  const action = closeAction(code);
  if (action !== "retry") {
    count(gaveUp, `${code} (${action})`);
    agent.state = "stopped";
    return;
  }
  // As the agent: a session that was welcomed starts the backoff over.
  agent.failures = agent.wasWelcomed ? 0 : agent.failures + 1;
  const backoffMs = backoffDelay(agent.failures, behaviour.reconnect);
  let delay = backoffMs;
  if (agent.retryAfterSeconds !== undefined) {
    delay = retryAfterDelay(agent.retryAfterSeconds, backoffMs);
    window.retryAfterHonoured++;
  }
  agent.state = "waiting";
  agent.retryTimer = setTimeout(() => connect(agent), delay);
}

/** Checks a frame against the protocol's schema (a sample: the first of each type, then 1 config in 250). */
function validate(data: Buffer, type: string): void {
  const parsed = parseFrame(hubMessageSchema, data);
  if (parsed.ok) return;
  window.invalidFrames++;
  if (window.invalidReasons.length < 5) window.invalidReasons.push(`${type}: ${parsed.reason}`.slice(0, 200));
}

const typePattern = /^\{"type":"([a-z.]+)"/;
const configPattern = /^\{"type":"hub\.config\.apply","revision":(\d+)[,}]/;

function onFrame(agent: SimAgent, data: Buffer, isBinary: boolean): void {
  const now = monoMs();
  agent.lastFrameAt = now;
  if (isBinary) {
    window.invalidFrames++;
    return;
  }
  const head = data.toString("latin1", 0, Math.min(data.length, 96));
  const type = typePattern.exec(head)?.[1] ?? "?";
  if (type === "hub.heartbeat.ack") {
    window.heartbeatAcks++;
    if (agent.lastHeartbeatSentAt > 0) window.rtts.push(now - agent.lastHeartbeatSentAt);
    agent.lastHeartbeatSentAt = 0;
    if (!seenTypes.has(type)) {
      seenTypes.add(type);
      validate(data, type);
    }
    return;
  }
  if (type === "hub.config.apply") {
    const fast = configPattern.exec(head);
    let revision = fast ? Number(fast[1]) : NaN;
    configFramesSeen++;
    if (!fast || configFramesSeen % 250 === 1) validate(data, type);
    if (!fast) {
      try {
        revision = (JSON.parse(data.toString("utf8")) as { revision: number }).revision;
      } catch {
        return;
      }
    }
    sampleConfigFrame ??= data.toString("utf8");
    onConfig(agent, revision, now);
    return;
  }
  let message: { type?: string; heartbeatIntervalMs?: number; commandId?: string };
  try {
    message = JSON.parse(data.toString("utf8")) as typeof message;
  } catch {
    window.invalidFrames++;
    return;
  }
  if (!seenTypes.has(type)) {
    seenTypes.add(type);
    validate(data, type);
  }
  if (message.type === "hub.welcome") {
    if (agent.state !== "connecting") return;
    agent.state = "session";
    agent.wasWelcomed = true;
    agent.heartbeatMs = Math.max(10, message.heartbeatIntervalMs ?? 15_000);
    agent.nextHeartbeatAt = now + agent.heartbeatMs;
    // Where in its posture cycle each agent starts is random: a fleet that connected over days, so a
    // window of the idle phase sees its share of postures, not all or none of them.
    agent.heartbeatCount = Math.floor(Math.random() * Math.max(1, behaviour.postureEvery));
    agent.lastHeartbeatSentAt = 0;
    if (Number.isNaN(agent.firstWelcomeAt)) agent.firstWelcomeAt = now;
    agent.lastWelcomeAt = now;
    window.welcomes++;
    sendPosture(agent);
  } else if (message.type === "hub.command" && message.commandId) {
    send(agent, {
      type: "agent.command.result",
      commandId: message.commandId,
      ok: false,
      error: "the benchmark's agents run no commands",
    });
  }
}

function onConfig(agent: SimAgent, revision: number, now: number): void {
  window.pushes++;
  if (revision <= agent.appliedRevision) window.duplicatePushes++;
  if (revision >= agent.target && Number.isNaN(agent.reachedAt)) {
    agent.reachedAt = now;
    reached++;
  }
  // The ack and the posture leave in one write: a real agent is a host of its own, here 10,000 share a
  // process, and a system call per frame would make the bench, not the hub, the slow side.
  const socket = (agent.ws as unknown as { _socket?: Socket } | null)?._socket;
  socket?.cork();
  send(agent, { type: "agent.config.applied", revision });
  if (revision >= agent.target && Number.isNaN(agent.ackedAt)) {
    agent.ackedAt = monoMs();
    acked++;
  }
  agent.appliedRevision = Math.max(agent.appliedRevision, revision);
  sendPosture(agent);
  socket?.uncork();
}

// One timer for every agent: heartbeats, the silent-hub watchdog and the handshake timeout.
setInterval(() => {
  const now = monoMs();
  for (const agent of agents) {
    if (agent.state === "session") {
      if (now - agent.lastFrameAt > 2 * agent.heartbeatMs) {
        window.silentHub++;
        agent.ws?.terminate();
        continue;
      }
      if (now >= agent.nextHeartbeatAt) {
        agent.nextHeartbeatAt += agent.heartbeatMs;
        if (agent.nextHeartbeatAt < now) agent.nextHeartbeatAt = now + agent.heartbeatMs;
        agent.heartbeatCount++;
        send(agent, {
          type: "agent.heartbeat",
          sentAt: new Date().toISOString(),
          appliedRevision: agent.appliedRevision,
        });
        agent.lastHeartbeatSentAt = now;
        window.heartbeatsSent++;
        if (behaviour.postureEvery > 0 && agent.heartbeatCount % behaviour.postureEvery === 0)
          sendPosture(agent);
      }
    } else if (agent.state === "connecting" && now - agent.attemptStartedAt > behaviour.handshakeTimeoutMs) {
      window.handshakeTimeouts++;
      agent.ws?.terminate();
    }
  }
}, 50).unref();

function status(since: number | undefined): WorkerStatus {
  const groups = Math.max(0, ...agents.map((agent) => agent.spec.group)) + 1;
  const sessionByGroup = new Array<number>(groups).fill(0);
  const welcomedSinceByGroup = new Array<number>(groups).fill(0);
  let session = 0;
  let welcomedSince = 0;
  let everWelcomed = 0;
  for (const agent of agents) {
    if (!Number.isNaN(agent.firstWelcomeAt)) everWelcomed++;
    if (agent.state !== "session") continue;
    session++;
    sessionByGroup[agent.spec.group]!++;
    if (since !== undefined && agent.lastWelcomeAt >= since) {
      welcomedSince++;
      welcomedSinceByGroup[agent.spec.group]!++;
    }
  }
  const { rtts, ...stats } = window;
  const ns = (value: number) => (Number.isFinite(value) ? value / 1e6 : 0);
  return {
    total: agents.length,
    session,
    sessionByGroup,
    welcomedSince,
    welcomedSinceByGroup,
    everWelcomed,
    reached,
    acked,
    gaveUp,
    window: {
      ...stats,
      heartbeatRtt: spread(rtts),
      loopDelay: {
        p50: ns(loopDelay.percentile(50)),
        p99: ns(loopDelay.percentile(99)),
        max: ns(loopDelay.max),
      },
    },
  };
}

let connectTimer: NodeJS.Timeout | undefined;

function startConnecting(rate: number): void {
  const queue = agents.filter((agent) => agent.state === "idle");
  const began = monoMs();
  let started = 0;
  clearInterval(connectTimer);
  connectTimer = setInterval(() => {
    const due = Math.min(queue.length, Math.floor(((monoMs() - began) / 1000) * rate) + 1);
    while (started < due) connect(queue[started++]!);
    if (started >= queue.length) clearInterval(connectTimer);
  }, 5);
}

async function stopAll(): Promise<void> {
  isStopping = true;
  clearInterval(connectTimer);
  const open: Promise<void>[] = [];
  for (const agent of agents) {
    clearTimeout(agent.retryTimer);
    const ws = agent.ws;
    if (!ws) {
      agent.state = "stopped";
      continue;
    }
    open.push(new Promise((resolve) => ws.once("close", () => resolve())));
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, "agent shutting down");
    else ws.terminate();
  }
  const cut = setTimeout(() => agents.forEach((agent) => agent.ws?.terminate()), 5000);
  await Promise.all(open);
  clearTimeout(cut);
}

type Request = { id: number; type: string; [key: string]: unknown };

async function handle(request: Request): Promise<unknown> {
  switch (request.type) {
    case "init": {
      behaviour = request.behaviour as AgentBehaviour;
      agents = (request.agents as AgentSpec[]).map((spec) => ({
        spec,
        url: `ws://127.0.0.1:${spec.port}/agent`,
        hostname: `mx${String(spec.index + 1).padStart(6, "0")}.bench.test`,
        localAddress: behaviour.sourceAddresses ? sourceAddress(spec.index) : undefined,
        ws: null,
        state: "idle",
        failures: 0,
        appliedRevision: spec.appliedRevision,
        attemptStartedAt: 0,
        wasWelcomed: false,
        heartbeatMs: 15_000,
        nextHeartbeatAt: 0,
        heartbeatCount: 0,
        lastHeartbeatSentAt: 0,
        lastFrameAt: 0,
        retryAfterSeconds: undefined,
        retryTimer: undefined,
        firstConnectAt: NaN,
        firstWelcomeAt: NaN,
        lastWelcomeAt: NaN,
        target: Infinity,
        reachedAt: NaN,
        ackedAt: NaN,
      }));
      return agents.length;
    }
    case "connect":
      startConnecting(request.rate as number);
      return true;
    case "status":
      return status(request.since as number | undefined);
    case "window":
      window = freshWindow();
      loopDelay.reset();
      return true;
    case "connectTimes":
      return {
        index: agents.map((agent) => agent.spec.index),
        firstConnectAt: Float64Array.from(agents, (agent) => agent.firstConnectAt),
        firstWelcomeAt: Float64Array.from(agents, (agent) => agent.firstWelcomeAt),
      } satisfies ConnectTimes;
    case "setTargets": {
      const targets = request.targets as number[];
      reached = 0;
      acked = 0;
      agents.forEach((agent, i) => {
        agent.target = targets[i]!;
        agent.reachedAt = NaN;
        agent.ackedAt = NaN;
      });
      return true;
    }
    case "fanout":
      return {
        index: agents.map((agent) => agent.spec.index),
        group: agents.map((agent) => agent.spec.group),
        reachedAt: Float64Array.from(agents, (agent) => agent.reachedAt),
        ackedAt: Float64Array.from(agents, (agent) => agent.ackedAt),
      } satisfies FanoutTimes;
    case "openAgents":
      return agents.filter((agent) => agent.state === "session").map((agent) => agent.spec.index);
    case "sampleFrame":
      return sampleConfigFrame;
    case "stop":
      await stopAll();
      return true;
    default:
      throw new Error(`unknown request ${request.type}`);
  }
}

process.on("message", (request: Request) => {
  handle(request).then(
    (result) => process.send?.({ id: request.id, result }),
    (error: unknown) => process.send?.({ id: request.id, error: (error as Error).message }),
  );
});
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => void stopAll().finally(() => process.exit(0)));
