// A mailbox's own sending limits (row 20, "+ per mailbox") as a domain admin sets them, against a real
// Postgres: stricter than the domain's effective limits is saved, audited with before/after and sent
// to the agents; looser is refused naming the domain's limit; clearing falls back to the domain's;
// another customer's mailbox is NOT_FOUND.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { savePolicyOverrides, type Db } from "@mailwarden/db";
import { buildAgentConfig } from "@mailwarden/hub";
import { defaultPolicy } from "@mailwarden/policy";
import { callerFor, createTestRuntime, createUser } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
const ids = {} as {
  tenant: string;
  domain: string;
  mailbox: string;
  server: string;
  otherMailbox: string;
  admin: string;
};

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenant = await prisma.tenant.create({ data: { name: "Limits Co", slug: "limits-co" } });
  const other = await prisma.tenant.create({ data: { name: "Other Co", slug: "other-co" } });
  ids.tenant = tenant.id;
  ids.domain = (await prisma.domain.create({ data: { name: "limits.test", tenantId: tenant.id } })).id;
  ids.mailbox = (
    await prisma.mailbox.create({
      data: { tenantId: tenant.id, domainId: ids.domain, localPart: "alice", passwordHash: "$argon2id$x" },
    })
  ).id;
  ids.server = (await prisma.server.create({ data: { name: "mx-1", tenantId: tenant.id } })).id;
  const otherDomain = await prisma.domain.create({ data: { name: "other.test", tenantId: other.id } });
  ids.otherMailbox = (
    await prisma.mailbox.create({
      data: { tenantId: other.id, domainId: otherDomain.id, localPart: "bob", passwordHash: "$argon2id$y" },
    })
  ).id;
  ids.admin = (
    await createUser(prisma, {
      email: "admin@limits.test",
      membership: { tenantId: tenant.id, role: "DOMAIN_ADMIN", domainIds: [ids.domain] },
    })
  ).id;
  // The domain's effective per-mailbox limits: 40/hour from its own level, the default per day.
  await prisma.$transaction((tx) =>
    savePolicyOverrides(tx, {
      scope: "DOMAIN",
      tenantId: tenant.id,
      domainId: ids.domain,
      settings: { outboundThrottle: { ...defaultPolicy.outboundThrottle, mailboxMessagesPerHour: 40 } },
    }),
  );
});
afterAll(async () => stop?.());

const desiredRevision = async () =>
  (await prisma.server.findUniqueOrThrow({ where: { id: ids.server } })).desiredRevision;

const agentMailbox = async () =>
  (await buildAgentConfig(prisma, ids.server)).config.domains[0]?.mailboxes.find(
    (mailbox) => mailbox.localPart === "alice",
  );

const domainLimits = {
  messagesPerHour: 40,
  messagesPerDay: defaultPolicy.outboundThrottle.mailboxMessagesPerDay,
};

describe("per-mailbox sending limits", () => {
  it("shows the domain's effective limits beside the mailbox's own (none yet)", async () => {
    expect(
      await callerFor(prisma, ids.admin).domain.mailboxSendingLimits({ mailboxId: ids.mailbox }),
    ).toEqual({
      mailboxId: ids.mailbox,
      address: "alice@limits.test",
      own: { messagesPerHour: null, messagesPerDay: null },
      domain: domainLimits,
    });
  });

  it("saves a stricter limit, audited with before and after, and sends it to the agents", async () => {
    const before = await desiredRevision();
    await callerFor(prisma, ids.admin).domain.setMailboxSendingLimits({
      mailboxId: ids.mailbox,
      messagesPerHour: 2,
      messagesPerDay: null,
    });
    expect(await desiredRevision()).toBeGreaterThan(before);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "MAILBOX_SENDING_LIMITS_CHANGED", targetId: ids.mailbox },
    });
    expect(audit).toMatchObject({
      tenantId: ids.tenant,
      summary: "Sending limits of alice@limits.test set",
      before: { messagesPerHour: null, messagesPerDay: null },
      after: { messagesPerHour: 2, messagesPerDay: null },
    });
    expect((await agentMailbox())?.sendingLimits).toEqual({ messagesPerHour: 2, messagesPerDay: null });
    // the domain page marks the mailbox
    const domain = await callerFor(prisma, ids.admin).domain.get({ domainId: ids.domain });
    expect(domain.mailboxes[0]).toMatchObject({ throttleMessagesPerHour: 2, throttleMessagesPerDay: null });
  });

  it("refuses a limit looser than the domain's, naming the domain's limit, and keeps the old one", async () => {
    const caller = callerFor(prisma, ids.admin);
    await expect(
      caller.domain.setMailboxSendingLimits({
        mailboxId: ids.mailbox,
        messagesPerHour: 41,
        messagesPerDay: null,
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message:
        "41 messages per hour is looser than the domain limits.test's limit of 40 per hour: " +
        "a mailbox's own limit can only be stricter.",
    });
    await expect(
      caller.domain.setMailboxSendingLimits({
        mailboxId: ids.mailbox,
        messagesPerHour: 2,
        messagesPerDay: domainLimits.messagesPerDay + 1,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("per day") });
    expect((await caller.domain.mailboxSendingLimits({ mailboxId: ids.mailbox })).own).toEqual({
      messagesPerHour: 2,
      messagesPerDay: null,
    });
  });

  it("clears the mailbox's limits so the domain's apply again", async () => {
    await callerFor(prisma, ids.admin).domain.setMailboxSendingLimits({
      mailboxId: ids.mailbox,
      messagesPerHour: null,
      messagesPerDay: null,
    });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "MAILBOX_SENDING_LIMITS_CHANGED", targetId: ids.mailbox },
      orderBy: { at: "desc" },
    });
    expect(audit.summary).toBe("Sending limits of alice@limits.test cleared: the domain's apply");
    expect(audit.before).toEqual({ messagesPerHour: 2, messagesPerDay: null });
    expect((await agentMailbox())?.sendingLimits).toEqual({ messagesPerHour: null, messagesPerDay: null });
  });

  it("answers NOT_FOUND for another customer's mailbox, changing nothing", async () => {
    const caller = callerFor(prisma, ids.admin);
    await expect(caller.domain.mailboxSendingLimits({ mailboxId: ids.otherMailbox })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      caller.domain.setMailboxSendingLimits({
        mailboxId: ids.otherMailbox,
        messagesPerHour: 1,
        messagesPerDay: 1,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await prisma.mailbox.findUniqueOrThrow({ where: { id: ids.otherMailbox } })).toMatchObject({
      throttleMessagesPerHour: null,
      throttleMessagesPerDay: null,
    });
  });
});
