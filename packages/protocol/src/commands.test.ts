// The agent acts on hub.command, so anything but an exact, bounded command must fail to parse; the
// envelope still lets it answer "invalid command" to the right command id.
import { describe, expect, it } from "vitest";
import {
  commandResultSchemas,
  hubCommandEnvelopeSchema,
  hubCommandSchema,
  hubCommandTypes,
  MAX_COMMAND_IDS,
} from "./commands";
import { parseFrame } from "./framing";
import { agentMessageSchema, hubMessageSchema } from "./messages";

describe("hub.command", () => {
  it("accepts each command and lists their types", () => {
    expect(hubCommandTypes).toEqual([
      "queue.list",
      "queue.retry",
      "queue.resetRetries",
      "queue.delete",
      "queue.bounce",
      "abuse.list",
      "abuse.lift",
    ]);
    const frame = JSON.stringify({
      type: "hub.command",
      commandId: "c1",
      command: { type: "queue.delete", ids: ["MABC123"] },
    });
    expect(parseFrame(hubMessageSchema, frame)).toMatchObject({ ok: true });
  });

  it("refuses unknown types, unknown keys, empty or oversized id lists and odd ids", () => {
    const bad = [
      { type: "queue.purgeEverything" },
      { type: "queue.list", all: true },
      { type: "queue.retry", ids: [] },
      { type: "queue.retry", ids: Array.from({ length: MAX_COMMAND_IDS + 1 }, (_, i) => `M${i}`) },
      { type: "queue.bounce", ids: ["../../etc/passwd"] },
      { type: "queue.delete" },
      { type: "abuse.lift", ids: [] },
      { type: "abuse.lift", ids: ["../../etc"] },
      { type: "abuse.lift", ids: Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(16, "0")) },
    ];
    for (const command of bad)
      expect(hubCommandSchema.safeParse(command).success, JSON.stringify(command)).toBe(false);
    const envelope = parseFrame(
      hubCommandEnvelopeSchema,
      JSON.stringify({ type: "hub.command", commandId: "c2", command: { type: "queue.purgeEverything" } }),
    );
    expect(envelope).toMatchObject({ ok: true, message: { commandId: "c2" } });
  });
});

describe("agent.command.result", () => {
  it("carries any result, checked per command type by the hub", () => {
    const frame = JSON.stringify({
      type: "agent.command.result",
      commandId: "c1",
      ok: true,
      result: { count: 3 },
    });
    expect(parseFrame(agentMessageSchema, frame)).toMatchObject({ ok: true });
    expect(commandResultSchemas["queue.resetRetries"].safeParse({ count: 3 }).success).toBe(true);
    expect(commandResultSchemas["queue.list"].safeParse({ count: 3 }).success).toBe(false);
    const listing = {
      size: 1,
      oldestAt: "2026-01-01T00:00:00.000Z",
      entries: [
        {
          id: "MABC",
          from: "",
          receivedAt: "2026-01-01T00:00:00.000Z",
          size: null,
          recipientCount: 1,
          recipients: [
            {
              address: "a@b.test",
              state: "pending",
              attempts: 2,
              nextAttemptAt: null,
              lastError: "451 later",
            },
          ],
        },
      ],
    };
    expect(commandResultSchemas["queue.list"].safeParse(listing).success).toBe(true);
  });
});
