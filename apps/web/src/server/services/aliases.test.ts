// Aliases and auto-replies as a domain admin sees them: an alias is created and deleted with an audit
// event each and a config push for the agents; an address already taken is refused; a domain or alias
// of another customer is NOT_FOUND; an auto-reply is saved, audited and sent down to the agents.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { buildAgentConfig } from "@mailwarden/hub";
import { callerFor, createTestRuntime, createUser } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
const ids = {} as {
  tenant: string;
  domain: string;
  mailbox: string;
  server: string;
  otherDomain: string;
  otherAlias: string;
  otherMailbox: string;
  admin: string;
};

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenant = await prisma.tenant.create({ data: { name: "Alias Co", slug: "alias-co" } });
  const other = await prisma.tenant.create({ data: { name: "Other Co", slug: "other-co" } });
  ids.tenant = tenant.id;
  ids.domain = (await prisma.domain.create({ data: { name: "alias.test", tenantId: tenant.id } })).id;
  ids.mailbox = (
    await prisma.mailbox.create({
      data: { tenantId: tenant.id, domainId: ids.domain, localPart: "alice", passwordHash: "$argon2id$x" },
    })
  ).id;
  ids.server = (await prisma.server.create({ data: { name: "mx-1", tenantId: tenant.id } })).id;
  ids.otherDomain = (await prisma.domain.create({ data: { name: "other.test", tenantId: other.id } })).id;
  ids.otherAlias = (
    await prisma.alias.create({
      data: { tenantId: other.id, domainId: ids.otherDomain, localPart: "sales", targets: ["x@other.test"] },
    })
  ).id;
  ids.otherMailbox = (
    await prisma.mailbox.create({
      data: { tenantId: other.id, domainId: ids.otherDomain, localPart: "bob", passwordHash: "$argon2id$y" },
    })
  ).id;
  ids.admin = (
    await createUser(prisma, {
      email: "admin@alias.test",
      membership: { tenantId: tenant.id, role: "DOMAIN_ADMIN", domainIds: [ids.domain] },
    })
  ).id;
});
afterAll(async () => stop?.());

const desiredRevision = async () =>
  (await prisma.server.findUniqueOrThrow({ where: { id: ids.server } })).desiredRevision;

describe("aliases", () => {
  it("creates an alias with its targets, audited, and pushes it to the agents", async () => {
    const before = await desiredRevision();
    const created = await callerFor(prisma, ids.admin).domain.createAlias({
      domainId: ids.domain,
      localPart: "Team",
      targets: ["alice", "Partner@Remote.test", "alice@alias.test"],
    });
    expect(created).toMatchObject({
      address: "team@alias.test",
      targets: ["alice@alias.test", "partner@remote.test"],
    });
    expect(await desiredRevision()).toBeGreaterThan(before);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "ALIAS_CREATED", targetId: created.id },
    });
    expect(audit.tenantId).toBe(ids.tenant);
    expect(audit.summary).toContain("team@alias.test");
    const { config } = await buildAgentConfig(prisma, ids.server);
    expect(config.domains.find((domain) => domain.name === "alias.test")?.aliases).toEqual([
      { localPart: "team", targets: ["alice@alias.test", "partner@remote.test"] },
    ]);
    expect(await callerFor(prisma, ids.admin).domain.aliases({ domainId: ids.domain })).toHaveLength(1);
  });

  it("refuses an address already used by a mailbox or an alias", async () => {
    const caller = callerFor(prisma, ids.admin);
    await expect(
      caller.domain.createAlias({ domainId: ids.domain, localPart: "alice", targets: ["x@remote.test"] }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      caller.domain.createAlias({ domainId: ids.domain, localPart: "team", targets: ["x@remote.test"] }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    // and the other way round: no mailbox where an alias already forwards
    await expect(
      caller.domain.createMailbox({
        domainId: ids.domain,
        localPart: "team",
        displayName: "Team",
        password: "Quartz-harbor-Violet-42",
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: "team@alias.test already exists." });
  });

  it("deletes an alias, audited", async () => {
    const caller = callerFor(prisma, ids.admin);
    const [alias] = await caller.domain.aliases({ domainId: ids.domain });
    await caller.domain.deleteAlias({ aliasId: alias!.id });
    expect(await prisma.alias.findUnique({ where: { id: alias!.id } })).toBeNull();
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "ALIAS_DELETED", targetId: alias!.id },
    });
    expect(audit.before).toMatchObject({ address: "team@alias.test" });
  });

  it("answers NOT_FOUND for another customer's domain and alias, changing nothing", async () => {
    const caller = callerFor(prisma, ids.admin);
    await expect(caller.domain.aliases({ domainId: ids.otherDomain })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      caller.domain.createAlias({
        domainId: ids.otherDomain,
        localPart: "probe",
        targets: ["x@remote.test"],
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller.domain.deleteAlias({ aliasId: ids.otherAlias })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await prisma.alias.findUnique({ where: { id: ids.otherAlias } })).not.toBeNull();
    expect(await prisma.alias.count({ where: { domainId: ids.otherDomain } })).toBe(1);
  });
});

describe("auto-replies", () => {
  it("saves a mailbox's auto-reply, audited, and sends it to the agents", async () => {
    const caller = callerFor(prisma, ids.admin);
    await caller.domain.setAutoReply({
      mailboxId: ids.mailbox,
      enabled: true,
      subject: "Away",
      body: "Back on Monday.",
      intervalHours: 12,
    });
    expect(await caller.domain.autoReply({ mailboxId: ids.mailbox })).toMatchObject({
      enabled: true,
      subject: "Away",
      intervalHours: 12,
    });
    expect(
      await prisma.auditEvent.count({ where: { type: "AUTO_REPLY_CHANGED", targetId: ids.mailbox } }),
    ).toBe(1);
    const { config } = await buildAgentConfig(prisma, ids.server);
    const mailbox = config.domains.find((domain) => domain.name === "alias.test")?.mailboxes[0];
    expect(mailbox?.autoReply).toEqual({ subject: "Away", body: "Back on Monday.", intervalHours: 12 });
  });

  it("answers NOT_FOUND for another customer's mailbox", async () => {
    const caller = callerFor(prisma, ids.admin);
    await expect(caller.domain.autoReply({ mailboxId: ids.otherMailbox })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      caller.domain.setAutoReply({
        mailboxId: ids.otherMailbox,
        enabled: true,
        subject: "",
        body: "hi",
        intervalHours: 24,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
