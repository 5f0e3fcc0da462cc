// The mail-log model's edges: which outcome a search sees for each record, who a record is about, which
// row 23 level decides it, and the batch frame the hub refuses when its numbers are out of order.
import { describe, expect, it } from "vitest";
import {
  agentMessageSchema,
  isSuccessRecord,
  logLevelSettingOf,
  MAX_LOG_BATCH_RECORDS,
  outcomeOf,
  recipientsOf,
  type MailLogRecord,
} from "./index";

const at = "2026-12-08T10:00:00.000Z";
const session = { session: "s1", listener: "inbound", client: "192.0.2.1" };
const rcpt = (outcome: "accepted" | "refused", code?: number): MailLogRecord => ({
  seq: 1,
  at,
  ...session,
  type: "rcpt.to",
  from: "a@remote.example",
  to: "Bob@Shop.test",
  direction: "inbound",
  outcome,
  ...(code ? { rule: "rcpt.spf", code, status: "5.7.23", reply: "no" } : {}),
});

describe("outcomeOf", () => {
  it("calls a 5xx refusal rejected, a 4xx one deferred, and leaves records about no message null", () => {
    expect(outcomeOf(rcpt("accepted"))).toBe("accepted");
    expect(outcomeOf(rcpt("refused", 550))).toBe("rejected");
    expect(outcomeOf(rcpt("refused", 451))).toBe("deferred");
    expect(outcomeOf({ seq: 2, at, ...session, type: "connection.opened" })).toBeNull();
    expect(outcomeOf({ seq: 3, at, type: "policy.applied", revision: 4 })).toBeNull();
  });
});

describe("recipientsOf and the logging levels", () => {
  it("names the recipients a search by address must find", () => {
    expect(recipientsOf(rcpt("accepted"))).toEqual(["Bob@Shop.test"]);
    expect(recipientsOf({ seq: 2, at, ...session, type: "connection.opened" })).toEqual([]);
  });

  it("puts deliveries under the delivery level, sessions under the SMTP level and abuse under neither", () => {
    expect(logLevelSettingOf("delivery")).toBe("deliveryLogLevel");
    expect(logLevelSettingOf("rcpt.to")).toBe("smtpLogLevel");
    expect(logLevelSettingOf("abuse.blocked")).toBeNull();
    expect(logLevelSettingOf("gap")).toBeNull();
    expect(isSuccessRecord(rcpt("accepted"))).toBe(true);
    expect(isSuccessRecord(rcpt("refused", 550))).toBe(false);
  });
});

describe("agent.logs frames", () => {
  const frame = (seqs: number[]) => ({
    type: "agent.logs",
    batch: 1,
    records: seqs.map((seq) => ({ ...rcpt("accepted"), seq })),
  });

  it("accepts records in increasing sequence order", () => {
    expect(agentMessageSchema.safeParse(frame([1, 2, 5])).success).toBe(true);
  });

  it("refuses a batch whose numbers repeat or go back, an empty one and one over the limit", () => {
    const messages = (seqs: number[]) =>
      agentMessageSchema.safeParse(frame(seqs)).error?.issues.map((issue) => issue.message) ?? [];
    expect(messages([1, 3, 3])).toContain("records must be in increasing sequence order, each number once");
    expect(messages([2, 1])).toContain("records must be in increasing sequence order, each number once");
    expect(agentMessageSchema.safeParse(frame([])).success).toBe(false);
    const tooMany = Array.from({ length: MAX_LOG_BATCH_RECORDS + 1 }, (_, i) => i + 1);
    expect(agentMessageSchema.safeParse(frame(tooMany)).success).toBe(false);
  });

  it("refuses a record of an unknown type or with a bad time", () => {
    const bad = {
      type: "agent.logs",
      batch: 1,
      records: [{ seq: 1, at: "yesterday", type: "policy.applied", revision: 1 }],
    };
    expect(agentMessageSchema.safeParse(bad).success).toBe(false);
    const unknown = { type: "agent.logs", batch: 1, records: [{ seq: 1, at, type: "mail.teleported" }] };
    expect(agentMessageSchema.safeParse(unknown).success).toBe(false);
  });
});
