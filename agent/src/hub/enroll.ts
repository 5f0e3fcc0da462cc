// Enrollment: trade a one-time token for this agent's own credential (PROTOCOL.md "Enrollment"). The
// credential is written before this resolves, so a successful enroll always leaves a usable file.
import WebSocket from "ws";
import {
  CloseCode,
  encodeFrame,
  hubMessageSchema,
  MAX_FRAME_BYTES,
  parseFrame,
  PROTOCOL_VERSION,
  type AgentMessage,
} from "@mailwarden/protocol";
import { writeCredential, type Credential } from "../state/credential";
import { hubSocketUrl } from "./hub-url";

export class EnrollmentError extends Error {
  override name = "EnrollmentError";
  constructor(
    message: string,
    readonly kind: "token-invalid" | "failed",
  ) {
    super(message);
  }
}

export interface EnrollOptions {
  url: string;
  token: string;
  hostname: string;
  agentVersion: string;
  stateDir: string;
  timeoutMs?: number;
}

export async function enroll(options: EnrollOptions): Promise<{ credential: Credential; file: string }> {
  const hubUrl = hubSocketUrl(options.url);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const ws = new WebSocket(hubUrl, { handshakeTimeout: timeoutMs, maxPayload: MAX_FRAME_BYTES });
  return new Promise((resolve, reject) => {
    let isSettled = false;
    let hasEnrolled = false;
    const settle = (action: () => void) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      action();
    };
    const fail = (message: string, kind: EnrollmentError["kind"] = "failed") => {
      settle(() => reject(new EnrollmentError(message, kind)));
      ws.terminate();
    };
    const timer = setTimeout(
      () => fail(`the hub at ${hubUrl} did not answer within ${timeoutMs} ms`),
      timeoutMs,
    );

    ws.on("open", () => {
      const message: AgentMessage = {
        type: "agent.enroll",
        protocolVersion: PROTOCOL_VERSION,
        token: options.token,
        hostname: options.hostname,
        agentVersion: options.agentVersion,
      };
      ws.send(encodeFrame(message));
    });
    ws.on("message", (data, isBinary) => {
      const parsed = parseFrame(hubMessageSchema, isBinary ? null : data);
      if (!parsed.ok) return fail(`the hub sent an unexpected frame: ${parsed.reason}`);
      const message = parsed.message;
      if (message.type === "hub.error") return fail(`the hub refused enrollment: ${message.message}`);
      if (message.type !== "hub.enrolled")
        return fail(`the hub sent ${message.type} instead of hub.enrolled`);
      hasEnrolled = true;
      const credential: Credential = { hubUrl, agentId: message.agentId, secret: message.secret };
      writeCredential(options.stateDir, credential).then(
        (file) => {
          settle(() => resolve({ credential, file }));
          ws.close(1000);
        },
        (error: Error) => fail(`enrolled, but could not write the credential file: ${error.message}`),
      );
    });
    ws.on("close", (code, reason) => {
      if (hasEnrolled) return;
      if (code === CloseCode.tokenInvalid)
        return fail("enrollment token is invalid, used or expired", "token-invalid");
      const why = reason.toString() || "no reason given";
      fail(`the hub closed the connection before enrolling (code ${code}: ${why})`);
    });
    ws.on("error", (error) => fail(`cannot reach the hub at ${hubUrl}: ${error.message}`));
  });
}
