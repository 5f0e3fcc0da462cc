// Mailing lists (row 22) as a domain admin sees them, against a real Postgres: a list is created,
// edited and deleted with an audit event each and a config push for the agents; its address shares the
// namespace with mailboxes and aliases (its <list>-bounces address too); the domain's policy caps how
// many lists it may have, with an error that says so; another customer's lists are NOT_FOUND. Members
// the agents paused after bounces show as such from the servers' postures, and an admin resumes them;
// the overview alerts on them for whoever may read the list's domain, and for nobody else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyScope, savePolicyOverrides, type Db } from "@mailwarden/db";
import { buildAgentConfig } from "@mailwarden/hub";
import type { ListBounceReport } from "@mailwarden/protocol";
import { callerFor, createTestRuntime, createUser, testPosture } from "../testing";
import { listPausedListMembers } from "./mailing-lists";

let prisma: Db;
let stop: () => Promise<void>;
const ids = {} as {
  tenant: string;
  domain: string;
  server: string;
  otherDomain: string;
  otherList: string;
  admin: string;
};

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenant = await prisma.tenant.create({ data: { name: "List Co", slug: "list-co" } });
  const other = await prisma.tenant.create({ data: { name: "Other Co", slug: "other-co" } });
  ids.tenant = tenant.id;
  ids.domain = (await prisma.domain.create({ data: { name: "lists.test", tenantId: tenant.id } })).id;
  await prisma.mailbox.create({
    data: { tenantId: tenant.id, domainId: ids.domain, localPart: "alice", passwordHash: "$argon2id$x" },
  });
  ids.server = (await prisma.server.create({ data: { name: "mx-1", tenantId: tenant.id } })).id;
  ids.otherDomain = (await prisma.domain.create({ data: { name: "other.test", tenantId: other.id } })).id;
  ids.otherList = (
    await prisma.mailingList.create({
      data: {
        tenantId: other.id,
        domainId: ids.otherDomain,
        localPart: "staff",
        members: ["x@other.test"],
        moderators: [],
      },
    })
  ).id;
  ids.admin = (
    await createUser(prisma, {
      email: "admin@lists.test",
      membership: { tenantId: tenant.id, role: "DOMAIN_ADMIN", domainIds: [ids.domain] },
    })
  ).id;
});
afterAll(async () => stop?.());

const desiredRevision = async () =>
  (await prisma.server.findUniqueOrThrow({ where: { id: ids.server } })).desiredRevision;
const agentLists = async () =>
  (await buildAgentConfig(prisma, ids.server)).config.domains.find((domain) => domain.name === "lists.test")
    ?.mailingLists;

describe("mailing lists", () => {
  it("creates a list with members and moderators, audited, and pushes it to the agents", async () => {
    const before = await desiredRevision();
    const created = await callerFor(prisma, ids.admin).domain.createMailingList({
      domainId: ids.domain,
      localPart: "Team",
      name: "The team",
      posting: null,
      members: ["alice", "Partner@Remote.test", "alice@lists.test"],
      moderators: ["alice"],
    });
    expect(created.address).toBe("team@lists.test");
    expect(await desiredRevision()).toBeGreaterThan(before);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "MAILING_LIST_CREATED", targetId: created.id },
    });
    expect(audit.tenantId).toBe(ids.tenant);
    expect(audit.summary).toBe("Mailing list team@lists.test created with 2 member(s)");
    expect(await agentLists()).toEqual([
      {
        localPart: "team",
        name: "The team",
        posting: null,
        members: ["alice@lists.test", "partner@remote.test"],
        moderators: ["alice@lists.test"],
        resumes: [],
      },
    ]);
    const shown = await callerFor(prisma, ids.admin).domain.mailingLists({ domainId: ids.domain });
    expect(shown).toMatchObject({ domainPosting: "members", maxLists: 10 });
    expect(shown.lists.map((list) => list.address)).toEqual(["team@lists.test"]);
  });

  it("shares the address space: no list, alias or mailbox on a taken address or on <list>-bounces", async () => {
    const caller = callerFor(prisma, ids.admin);
    const list = { name: "", posting: null, members: ["x@remote.test"], moderators: [] };
    await expect(
      caller.domain.createMailingList({ domainId: ids.domain, localPart: "alice", ...list }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: "alice@lists.test already exists." });
    await expect(
      caller.domain.createAlias({ domainId: ids.domain, localPart: "team", targets: ["x@remote.test"] }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: "team@lists.test already exists." });
    await expect(
      caller.domain.createMailbox({
        domainId: ids.domain,
        localPart: "team-bounces",
        displayName: "",
        password: "Quartz-harbor-Violet-42",
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: "team-bounces@lists.test already exists." });
    await caller.domain.createAlias({
      domainId: ids.domain,
      localPart: "news-bounces",
      targets: ["x@r.test"],
    });
    await expect(
      caller.domain.createMailingList({ domainId: ids.domain, localPart: "news", ...list }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: "news-bounces@lists.test already exists." });
  });

  it("edits posting, members and moderators, audited with before and after", async () => {
    const caller = callerFor(prisma, ids.admin);
    const [list] = (await caller.domain.mailingLists({ domainId: ids.domain })).lists;
    await expect(
      caller.domain.updateMailingList({
        mailingListId: list!.id,
        name: "The team",
        posting: "moderators",
        members: ["alice"],
        moderators: [],
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Add a moderator: only moderators may post to this list.",
    });
    await caller.domain.updateMailingList({
      mailingListId: list!.id,
      name: "The team",
      posting: "moderators",
      members: ["alice", "bob@remote.test"],
      moderators: ["boss@remote.test"],
    });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "MAILING_LIST_UPDATED", targetId: list!.id },
    });
    expect(audit.before).toMatchObject({ posting: null, moderators: ["alice@lists.test"] });
    expect(audit.after).toMatchObject({ posting: "MODERATORS", moderators: ["boss@remote.test"] });
    expect((await agentLists())?.[0]).toMatchObject({
      posting: "moderators",
      members: ["alice@lists.test", "bob@remote.test"],
    });
  });

  it("refuses a list past the domain's effective limit, saying which setting caps it", async () => {
    await prisma.$transaction((tx) =>
      savePolicyOverrides(tx, {
        scope: PolicyScope.DOMAIN,
        tenantId: ids.tenant,
        domainId: ids.domain,
        settings: { maxMailingListsPerDomain: 2 },
      }),
    );
    const caller = callerFor(prisma, ids.admin);
    const list = { name: "", posting: "anyone" as const, members: ["alice"], moderators: [] };
    await caller.domain.createMailingList({ domainId: ids.domain, localPart: "second", ...list });
    await expect(
      caller.domain.createMailingList({ domainId: ids.domain, localPart: "third", ...list }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message:
        'lists.test already has 2 mailing lists, the most its policy allows ("Mailing lists per domain": 2).',
    });
    expect(await prisma.mailingList.count({ where: { domainId: ids.domain } })).toBe(2);
  });

  it("deletes a list, audited, and the agents lose it", async () => {
    const caller = callerFor(prisma, ids.admin);
    const { lists } = await caller.domain.mailingLists({ domainId: ids.domain });
    const second = lists.find((list) => list.localPart === "second")!;
    await caller.domain.deleteMailingList({ mailingListId: second.id });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "MAILING_LIST_DELETED", targetId: second.id },
    });
    expect(audit.before).toMatchObject({ address: "second@lists.test", posting: "ANYONE" });
    expect((await agentLists())?.map((list) => list.localPart)).toEqual(["team"]);
  });

  it("an auditor of the same customer sees the lists but cannot change them", async () => {
    const auditor = await createUser(prisma, {
      email: "auditor@lists.test",
      membership: { tenantId: ids.tenant, role: "AUDITOR" },
    });
    const caller = callerFor(prisma, auditor.id);
    const { lists } = await caller.domain.mailingLists({ domainId: ids.domain });
    expect(lists.map((list) => list.address)).toEqual(["team@lists.test"]);
    await expect(
      caller.domain.updateMailingList({
        mailingListId: lists[0]!.id,
        name: "",
        posting: "anyone",
        members: [],
        moderators: [],
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.domain.deleteMailingList({ mailingListId: lists[0]!.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("answers NOT_FOUND for another customer's domain and list, changing nothing", async () => {
    const caller = callerFor(prisma, ids.admin);
    const list = { name: "x", posting: null, members: ["x@other.test"], moderators: [] };
    await expect(caller.domain.mailingLists({ domainId: ids.otherDomain })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      caller.domain.createMailingList({ domainId: ids.otherDomain, localPart: "probe", ...list }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      caller.domain.updateMailingList({ mailingListId: ids.otherList, ...list }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller.domain.deleteMailingList({ mailingListId: ids.otherList })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await prisma.mailingList.findUniqueOrThrow({ where: { id: ids.otherList } })).toMatchObject({
      name: "",
      members: ["x@other.test"],
    });
  });
});

describe("bounce pauses (row 22)", () => {
  const list = "news@bounces.test";
  const members = ["paused@remote.test", "flaky@remote.test", "fine@remote.test"];
  const at = {
    firstPause: "2026-11-01T10:00:00.000Z",
    laterPause: "2026-11-02T10:00:00.000Z",
    newestBounce: "2026-11-03T10:00:00.000Z",
  };
  const bounced = (member: string, extra: Partial<ListBounceReport> = {}): ListBounceReport => ({
    list,
    member,
    bounceDays: 1,
    lastBounceAt: at.firstPause,
    lastStatus: "5.1.1",
    lastDiagnostic: "550 5.1.1 no such user",
    lastSource: "delivery",
    pausedAt: null,
    ...extra,
  });
  const news = {} as { domain: string; list: string; customerAdmin: string; outsider: string };
  const servers = {} as { mx1: string; mx2: string };
  const reportOn = (serverId: string, listBounces: ListBounceReport[]) =>
    prisma.server.update({ where: { id: serverId }, data: { posture: testPosture({ listBounces }) } });
  const shownBounces = async () =>
    (await callerFor(prisma, news.customerAdmin).domain.mailingLists({ domainId: news.domain })).lists.find(
      (shown) => shown.address === list,
    )!.memberBounces;
  const storedResumes = async () =>
    (await prisma.mailingList.findUniqueOrThrow({ where: { id: news.list } })).bounceResumes;
  const agentResumes = async () =>
    (await buildAgentConfig(prisma, servers.mx1)).config.domains
      .find((domain) => domain.name === "bounces.test")!
      .mailingLists.find((agentList) => agentList.localPart === "news")!.resumes;

  beforeAll(async () => {
    const otherTenant = (await prisma.domain.findUniqueOrThrow({ where: { id: ids.otherDomain } })).tenantId;
    news.domain = (await prisma.domain.create({ data: { name: "bounces.test", tenantId: ids.tenant } })).id;
    news.list = (
      await prisma.mailingList.create({
        data: { tenantId: ids.tenant, domainId: news.domain, localPart: "news", members, moderators: [] },
      })
    ).id;
    news.customerAdmin = (
      await createUser(prisma, {
        email: "owner@bounces.test",
        membership: { tenantId: ids.tenant, role: "CUSTOMER_ADMIN" },
      })
    ).id;
    news.outsider = (
      await createUser(prisma, {
        email: "owner@other.test",
        membership: { tenantId: otherTenant, role: "CUSTOMER_ADMIN" },
      })
    ).id;
    servers.mx1 = ids.server;
    servers.mx2 = (await prisma.server.create({ data: { name: "mx-2", tenantId: ids.tenant } })).id;
    // Reports that must not count: a revoked server of the customer, and another customer's agent.
    const revoked = await prisma.server.create({
      data: { name: "mx-old", tenantId: ids.tenant, revokedAt: new Date() },
    });
    const foreign = await prisma.server.create({ data: { name: "mx-foreign", tenantId: otherTenant } });
    for (const serverId of [revoked.id, foreign.id]) {
      await reportOn(serverId, [bounced("fine@remote.test", { bounceDays: 3, pausedAt: at.firstPause })]);
    }
  });

  it("shows each member's bounces over every server: the newest bounce, paused if any server paused", async () => {
    await reportOn(servers.mx1, [
      bounced("paused@remote.test", {
        bounceDays: 3,
        lastBounceAt: at.laterPause,
        lastDiagnostic: "550 5.1.1 mailbox unavailable",
        pausedAt: at.laterPause,
      }),
      bounced("flaky@remote.test"),
    ]);
    await reportOn(servers.mx2, [
      bounced("paused@remote.test", {
        bounceDays: 3,
        lastBounceAt: at.firstPause,
        pausedAt: at.firstPause,
      }),
      bounced("paused@remote.test", {
        list: "other@bounces.test",
        lastBounceAt: at.newestBounce,
        lastDiagnostic: "another list's bounce",
      }),
      bounced("former@remote.test", { bounceDays: 3, pausedAt: at.firstPause }),
    ]);
    expect(await shownBounces()).toEqual([
      {
        member: "paused@remote.test",
        isPaused: true,
        pausedAt: at.firstPause,
        bounceDays: 3,
        lastBounceAt: at.laterPause,
        lastStatus: "5.1.1",
        lastDiagnostic: "550 5.1.1 mailbox unavailable",
        lastSource: "delivery",
      },
      {
        member: "flaky@remote.test",
        isPaused: false,
        pausedAt: null,
        bounceDays: 1,
        lastBounceAt: at.firstPause,
        lastStatus: "5.1.1",
        lastDiagnostic: "550 5.1.1 no such user",
        lastSource: "delivery",
      },
    ]);
  });

  it("a newer bounce on a server that has not paused the member is the one shown, still paused", async () => {
    await reportOn(servers.mx2, [
      bounced("paused@remote.test", {
        lastBounceAt: at.newestBounce,
        lastStatus: "5.2.2",
        lastDiagnostic: "552 5.2.2 mailbox full",
        lastSource: "dsn",
      }),
    ]);
    expect((await shownBounces())[0]).toEqual({
      member: "paused@remote.test",
      isPaused: true,
      pausedAt: at.laterPause,
      bounceDays: 3,
      lastBounceAt: at.newestBounce,
      lastStatus: "5.2.2",
      lastDiagnostic: "552 5.2.2 mailbox full",
      lastSource: "dsn",
    });
  });

  it("resumes a paused member: stored, pushed to the agents, audited with the report shown", async () => {
    const before = await desiredRevision();
    const resumed = await callerFor(prisma, news.customerAdmin).domain.resumeListMember({
      mailingListId: news.list,
      address: " Paused@Remote.TEST ",
    });
    expect(resumed).toMatchObject({ address: list, member: "paused@remote.test" });
    const resume = { address: "paused@remote.test", at: resumed.resumedAt };
    expect(Date.now() - Date.parse(resumed.resumedAt)).toBeLessThan(60_000);
    expect(await storedResumes()).toEqual([resume]);
    expect(await desiredRevision()).toBeGreaterThan(before);
    expect(await agentResumes()).toEqual([resume]);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "MAILING_LIST_MEMBER_RESUMED", targetId: news.list },
    });
    expect(audit).toMatchObject({
      tenantId: ids.tenant,
      actorLabel: "owner@bounces.test",
      summary: `Resumed delivery to paused@remote.test on list ${list}`,
      before: {
        address: list,
        bounces: { member: "paused@remote.test", isPaused: true, lastDiagnostic: "552 5.2.2 mailbox full" },
      },
      after: { address: list, resume },
    });
  });

  it("after a resume, bounces reported from before it no longer show; a newer one does", async () => {
    // The postures still hold the pause: the agents have not reported since the resume.
    expect((await shownBounces()).map((status) => status.member)).toEqual(["flaky@remote.test"]);
    const afterResume = new Date(Date.now() + 60_000).toISOString();
    await reportOn(servers.mx2, [bounced("paused@remote.test", { lastBounceAt: afterResume })]);
    expect((await shownBounces())[0]).toMatchObject({
      member: "paused@remote.test",
      isPaused: false,
      bounceDays: 1,
      lastBounceAt: afterResume,
    });
  });

  it("refuses to resume an address that is not a member, changing nothing", async () => {
    const before = { revision: await desiredRevision(), resumes: await storedResumes() };
    await expect(
      callerFor(prisma, news.customerAdmin).domain.resumeListMember({
        mailingListId: news.list,
        address: "stranger@remote.test",
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: `stranger@remote.test is not a member of ${list}.`,
    });
    expect(await desiredRevision()).toBe(before.revision);
    expect(await storedResumes()).toEqual(before.resumes);
    expect(await prisma.auditEvent.count({ where: { type: "MAILING_LIST_MEMBER_RESUMED" } })).toBe(1);
  });

  it("another customer's admin can neither see the bounces nor resume a member (NOT_FOUND)", async () => {
    const outsider = callerFor(prisma, news.outsider);
    await expect(outsider.domain.mailingLists({ domainId: news.domain })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const resumes = await storedResumes();
    await expect(
      outsider.domain.resumeListMember({ mailingListId: news.list, address: "flaky@remote.test" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await storedResumes()).toEqual(resumes);
    expect(await prisma.auditEvent.count({ where: { type: "MAILING_LIST_MEMBER_RESUMED" } })).toBe(1);
  });

  it("an edit that removes a resumed member drops the resume; the others' stay", async () => {
    const caller = callerFor(prisma, news.customerAdmin);
    const { resumedAt } = await caller.domain.resumeListMember({
      mailingListId: news.list,
      address: "flaky@remote.test",
    });
    await caller.domain.updateMailingList({
      mailingListId: news.list,
      name: "",
      posting: null,
      members: ["flaky@remote.test", "fine@remote.test"],
      moderators: [],
    });
    expect(await storedResumes()).toEqual([{ address: "flaky@remote.test", at: resumedAt }]);
    expect(await agentResumes()).toEqual([{ address: "flaky@remote.test", at: resumedAt }]);
  });
});

describe("the overview's alert of paused list members (row 22)", () => {
  const at = {
    olderPause: "2026-10-01T10:00:00.000Z",
    newerPause: "2026-10-02T10:00:00.000Z",
    resume: "2026-10-03T10:00:00.000Z",
  };
  const report = (list: string, member: string, extra: Partial<ListBounceReport> = {}): ListBounceReport => ({
    list,
    member,
    bounceDays: 3,
    lastBounceAt: at.olderPause,
    lastStatus: "5.1.1",
    lastDiagnostic: "550 5.1.1 no such user",
    lastSource: "delivery",
    pausedAt: at.olderPause,
    ...extra,
  });
  const ownList = "news@alerts.test";
  const otherList = "club@other-alerts.test";
  const alert = {} as {
    ownDomain: string;
    ownList: string;
    otherDomain: string;
    provider: string;
    ownAdmin: string;
    otherAdmin: string;
  };
  const pausedOn = async (userId: string) =>
    (await callerFor(prisma, userId).overview.get()).pausedListMembers;
  const ownPaused = () => ({
    list: ownList,
    member: "gone@remote.test",
    pausedAt: at.olderPause,
    lastStatus: "5.1.1",
    lastDiagnostic: "550 5.1.1 no such user",
    domainId: alert.ownDomain,
  });
  const otherPaused = () => ({
    list: otherList,
    member: "away@remote.test",
    pausedAt: at.newerPause,
    lastStatus: "5.2.2",
    lastDiagnostic: "552 5.2.2 mailbox full",
    domainId: alert.otherDomain,
  });

  beforeAll(async () => {
    const otherTenant = (await prisma.domain.findUniqueOrThrow({ where: { id: ids.otherDomain } })).tenantId;
    alert.ownDomain = (
      await prisma.domain.create({ data: { name: "alerts.test", tenantId: ids.tenant } })
    ).id;
    alert.otherDomain = (
      await prisma.domain.create({ data: { name: "other-alerts.test", tenantId: otherTenant } })
    ).id;
    alert.ownList = (
      await prisma.mailingList.create({
        data: {
          tenantId: ids.tenant,
          domainId: alert.ownDomain,
          localPart: "news",
          members: ["gone@remote.test", "bouncing@remote.test", "resumed@remote.test", "old@remote.test"],
          moderators: [],
          bounceResumes: [{ address: "resumed@remote.test", at: at.resume }],
        },
      })
    ).id;
    await prisma.mailingList.create({
      data: {
        tenantId: otherTenant,
        domainId: alert.otherDomain,
        localPart: "club",
        members: ["away@remote.test"],
        moderators: [],
      },
    });
    alert.provider = (
      await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" })
    ).id;
    // Provider staff need a second factor before they reach tenant data.
    await prisma.totpSecret.create({
      data: { userId: alert.provider, encryptedSecret: "x", enabledAt: new Date() },
    });
    alert.ownAdmin = (
      await createUser(prisma, {
        email: "owner@alerts.test",
        membership: { tenantId: ids.tenant, role: "CUSTOMER_ADMIN" },
      })
    ).id;
    alert.otherAdmin = (
      await createUser(prisma, {
        email: "owner@other-alerts.test",
        membership: { tenantId: otherTenant, role: "CUSTOMER_ADMIN" },
      })
    ).id;
    const server = async (tenantId: string, listBounces: ListBounceReport[], revokedAt: Date | null = null) =>
      prisma.server.create({
        data: { name: "mx-alerts", tenantId, revokedAt, posture: testPosture({ listBounces }) },
      });
    await server(ids.tenant, [
      report(ownList, "gone@remote.test"),
      // Still getting copies, bouncing: not paused.
      report(ownList, "bouncing@remote.test", { bounceDays: 2, pausedAt: null }),
      // Paused, then resumed by an admin; the agent has not reported since.
      report(ownList, "resumed@remote.test"),
    ]);
    // A revoked server of the customer, and another customer's agent: their pauses do not count.
    await server(ids.tenant, [report(ownList, "old@remote.test")], new Date());
    await server(otherTenant, [
      report(ownList, "bouncing@remote.test"),
      report(otherList, "away@remote.test", {
        pausedAt: at.newerPause,
        lastBounceAt: at.newerPause,
        lastStatus: "5.2.2",
        lastDiagnostic: "552 5.2.2 mailbox full",
      }),
    ]);
  });

  it("shows a paused member to its customer's admin and the provider's, not to another customer's", async () => {
    expect(await pausedOn(alert.ownAdmin)).toEqual({ members: [ownPaused()], total: 1 });
    expect(await pausedOn(alert.provider)).toEqual({ members: [otherPaused(), ownPaused()], total: 2 });
    expect(await pausedOn(alert.otherAdmin)).toEqual({ members: [otherPaused()], total: 1 });
    // A domain admin of another domain of the same customer.
    expect(await pausedOn(ids.admin)).toEqual({ members: [], total: 0 });
  });

  it("shows the newest pauses up to the limit, with how many there are", async () => {
    const provider = { userId: alert.provider, email: "", name: "", memberships: [] };
    expect(await listPausedListMembers(prisma, { ...provider, providerRole: "PROVIDER_ADMIN" }, 1)).toEqual({
      members: [otherPaused()],
      total: 2,
    });
  });

  it("a member resumed on the domain page leaves the alert", async () => {
    await callerFor(prisma, alert.ownAdmin).domain.resumeListMember({
      mailingListId: alert.ownList,
      address: "gone@remote.test",
    });
    expect(await pausedOn(alert.ownAdmin)).toEqual({ members: [], total: 0 });
    expect(await pausedOn(alert.provider)).toEqual({ members: [otherPaused()], total: 1 });
  });
});
