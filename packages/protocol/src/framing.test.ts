// Frames from the wire never throw: each bad one gets a reason the peer can be told.
import { describe, expect, it } from "vitest";
import { encodeFrame, parseFrame } from "./framing";
import { agentMessageSchema, closeAction, CloseCode, MAX_FRAME_BYTES } from "./messages";

describe("parseFrame", () => {
  it("accepts a valid message", () => {
    const frame = encodeFrame({ type: "agent.heartbeat", sentAt: new Date(0).toISOString() });
    expect(parseFrame(agentMessageSchema, frame)).toEqual({
      ok: true,
      message: { type: "agent.heartbeat", sentAt: "1970-01-01T00:00:00.000Z" },
    });
  });

  it("explains what is wrong with a bad frame", () => {
    expect(parseFrame(agentMessageSchema, "{not json")).toEqual({
      ok: false,
      reason: "frame is not valid JSON",
    });
    expect(parseFrame(agentMessageSchema, 42)).toEqual({ ok: false, reason: "frame is not text" });
    const unknown = parseFrame(agentMessageSchema, JSON.stringify({ type: "agent.dance" }));
    expect(unknown.ok).toBe(false);
    const missing = parseFrame(agentMessageSchema, JSON.stringify({ type: "agent.config.applied" }));
    expect(missing).toMatchObject({ ok: false, reason: expect.stringContaining("revision") });
    expect(parseFrame(agentMessageSchema, "x".repeat(MAX_FRAME_BYTES + 1))).toEqual({
      ok: false,
      reason: "frame too large",
    });
  });
});

describe("closeAction", () => {
  it("tells the agent whether to retry, re-enroll or give up", () => {
    expect(closeAction(CloseCode.goingAway)).toBe("retry");
    expect(closeAction(CloseCode.heartbeatTimeout)).toBe("retry");
    expect(closeAction(CloseCode.unauthorized)).toBe("re-enroll");
    expect(closeAction(CloseCode.revoked)).toBe("give-up");
    expect(closeAction(CloseCode.tokenInvalid)).toBe("give-up");
    expect(closeAction(CloseCode.protocolVersion)).toBe("give-up");
  });
});
