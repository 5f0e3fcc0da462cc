// The command guards on single lines, as smtp-server's parser hands them over (no line ending).
import { describe, expect, it } from "vitest";
import { authBase64 } from "./auth-base64";
import { commandName, type CommandLine } from "./command";
import { commandControlChars } from "./command-control-chars";
import { commandLineLength } from "./command-line-length";
import { ErrorBudget, MAX_ERRORS } from "./error-limit";
import { JunkCommandBudget, MAX_JUNK_COMMANDS } from "./junk-commands";
import { MAX_RECIPIENT_OVERSHOOT, MAX_RECIPIENTS, RecipientBudget } from "./max-recipients";

function line(text: string, isAuthContinuation = false): CommandLine {
  const bytes = Buffer.from(text, "latin1");
  return { line: bytes, name: isAuthContinuation ? "" : commandName(bytes), isAuthContinuation };
}

describe("command guards", () => {
  it("command.control-chars refuses NUL, a bare CR and DEL, allows TAB and 8-bit bytes", () => {
    for (const bad of ["NO\0OP", "NOOP\rMAIL FROM:<a@b.test>", "HELO a\x7f"]) {
      expect(commandControlChars.check(line(bad))?.reply.code).toBe(500);
    }
    expect(commandControlChars.check(line("MAIL FROM:<jürgen@b.test>\tSIZE=10"))).toBeNull();
  });

  it("command.line-length allows 2048 octets, and 12288 for AUTH", () => {
    expect(commandLineLength.check(line("NOOP " + "x".repeat(2043)))).toBeNull();
    expect(commandLineLength.check(line("NOOP " + "x".repeat(2044)))?.reply.message).toMatch(/Line too long/);
    expect(commandLineLength.check(line("AUTH PLAIN " + "x".repeat(12_000)))).toBeNull();
    expect(commandLineLength.check(line("x".repeat(12_289), true))?.reply.code).toBe(500);
  });

  it("auth.base64 refuses undecodable initial responses and continuation lines only", () => {
    expect(authBase64.check(line("AUTH PLAIN !!!notbase64"))?.reply.code).toBe(501);
    expect(authBase64.check(line("AUTH PLAIN AGFAYg"))?.reply.code).toBe(501); // unpadded
    expect(authBase64.check(line("%%%", true))?.reply.code).toBe(501);
    for (const ok of ["AUTH PLAIN AGFAYgBj", "AUTH LOGIN", "AUTH PLAIN =", "NOOP !!!"]) {
      expect(authBase64.check(line(ok))).toBeNull();
    }
    expect(authBase64.check(line("*", true))).toBeNull();
    expect(authBase64.check(line("dXNlcg==", true))).toBeNull();
  });

  it("session.junk-commands closes after the budget and starts over after a message", () => {
    const budget = new JunkCommandBudget();
    for (let i = 0; i < MAX_JUNK_COMMANDS; i++) expect(budget.check(line("NOOP"))).toBeNull();
    expect(budget.check(line("MAIL FROM:<a@b.test>"))).toBeNull();
    expect(budget.check(line("rset"))?.reply.code).toBe(421);
    budget.messageAccepted();
    expect(budget.check(line("RSET"))).toBeNull();
  });

  it("rcpt.max-recipients counts per transaction and disconnects past the overshoot", () => {
    const budget = new RecipientBudget();
    const first = {};
    for (let i = 0; i < MAX_RECIPIENTS; i++)
      expect(budget.check(line("RCPT TO:<a@b.test>"), first)).toBeNull();
    expect(budget.check(line("RCPT TO:<a@b.test>"), first)?.reply).toEqual({
      code: 452,
      message: "4.5.3 Too many recipients",
    });
    expect(budget.check(line("RCPT TO:<a@b.test>"), {})).toBeNull(); // a new transaction
    const third = {};
    for (let i = 0; i < MAX_RECIPIENTS; i++) budget.check(line("RCPT TO:<a@b.test>"), third);
    for (let i = 1; i < MAX_RECIPIENT_OVERSHOOT; i++) budget.check(line("RCPT TO:<a@b.test>"), third);
    expect(budget.check(line("RCPT TO:<a@b.test>"), third)?.reply.code).toBe(421);
  });

  it("session.error-limit answers 421 at the 20th error", () => {
    const budget = new ErrorBudget();
    for (let i = 1; i < MAX_ERRORS; i++) expect(budget.countError()).toBeNull();
    expect(budget.countError()?.reply.code).toBe(421);
  });
});
