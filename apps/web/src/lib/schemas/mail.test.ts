// The mail-feature inputs as both their form and their procedure read them: a typed list of addresses
// becomes the array the procedure takes, and every refusal is one plain sentence on the field concerned.
import { describe, expect, it } from "vitest";
import {
  createAliasForm,
  createAliasInput,
  createMailingListForm,
  setAutoReplyInput,
  setMailboxSendingLimitsInput,
} from "./mail";

/** Field → its first message, as the form shows them. */
function messages(result: { error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  const found: Record<string, string> = {};
  for (const issue of result.error?.issues ?? []) found[String(issue.path[0] ?? "")] ??= issue.message;
  return found;
}

describe("alias inputs", () => {
  it("splits typed targets into the procedure's array", () => {
    const parsed = createAliasForm.parse({
      domainId: "d1",
      localPart: " Team ",
      targets: "alice, bob@example.org\nc",
    });
    expect(parsed).toEqual({ domainId: "d1", localPart: "Team", targets: ["alice", "bob@example.org", "c"] });
    expect(createAliasInput.safeParse(parsed).success).toBe(true);
  });

  it("says what is wrong under the field: empty, too long, malformed", () => {
    expect(messages(createAliasForm.safeParse({ domainId: "d1", localPart: "", targets: "" }))).toEqual({
      localPart: "Enter the part before @.",
      targets: "Add at least one address to forward to.",
    });
    const long = createAliasForm.safeParse({ domainId: "d1", localPart: "a".repeat(65), targets: "x@@y" });
    expect(messages(long)).toEqual({
      localPart: "At most 64 characters.",
      targets: "Not an e-mail address: x@@y.",
    });
  });
});

describe("mailing list form", () => {
  it("needs a moderator when only moderators may post, and follows the domain on an empty choice", () => {
    const base = { localPart: "news", name: "", members: "alice", moderators: "" };
    expect(messages(createMailingListForm.safeParse({ ...base, posting: "moderators" }))).toEqual({
      moderators: "Add a moderator: only moderators may post to this list.",
    });
    expect(createMailingListForm.parse({ ...base, posting: "" }).posting).toBeNull();
  });
});

describe("auto-reply and sending limits", () => {
  it("reads a number input's text and asks for the reply before it is turned on", () => {
    const reply = { mailboxId: "m1", enabled: true, subject: "", body: " ", intervalHours: "0" };
    expect(messages(setAutoReplyInput.safeParse(reply))).toEqual({
      intervalHours: "At least 1 hour.",
      body: "Write the reply before turning it on.",
    });
    expect(setAutoReplyInput.parse({ ...reply, body: "Away", intervalHours: "24" }).intervalHours).toBe(24);
  });

  it("takes an empty limit as the domain's and refuses anything but a whole number from 1", () => {
    expect(
      setMailboxSendingLimitsInput.parse({ mailboxId: "m1", messagesPerHour: "", messagesPerDay: 50 }),
    ).toEqual({
      mailboxId: "m1",
      messagesPerHour: null,
      messagesPerDay: 50,
    });
    expect(
      messages(
        setMailboxSendingLimitsInput.safeParse({
          mailboxId: "m1",
          messagesPerHour: "0",
          messagesPerDay: "1.5",
        }),
      ),
    ).toEqual({
      messagesPerHour: "At least 1, or leave it empty.",
      messagesPerDay: "Enter a whole number, or leave it empty.",
    });
  });
});
