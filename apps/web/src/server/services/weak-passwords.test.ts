// Weak mailbox passwords on the domain page: a mailbox an agent reported (its last login used a password
// below the policy in force) shows the reasons; a report from before the password was reset is ignored;
// another customer's report never shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { callerFor, createTestRuntime, createUser, testPosture } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
const ids = {} as { tenant: string; domain: string; admin: string; mailbox: string };
const problems = ["Use at least 12 characters."];

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenant = await prisma.tenant.create({ data: { name: "Weak Co", slug: "weak-co" } });
  const other = await prisma.tenant.create({ data: { name: "Other Co", slug: "other-co" } });
  ids.tenant = tenant.id;
  ids.domain = (await prisma.domain.create({ data: { name: "weak.test", tenantId: tenant.id } })).id;
  ids.mailbox = (
    await prisma.mailbox.create({
      data: {
        tenantId: tenant.id,
        domainId: ids.domain,
        localPart: "carol",
        passwordHash: "x",
        passwordChangedAt: new Date(Date.now() - 3_600_000),
      },
    })
  ).id;
  await prisma.mailbox.create({
    data: { tenantId: tenant.id, domainId: ids.domain, localPart: "dave", passwordHash: "x" },
  });
  ids.admin = (
    await createUser(prisma, {
      email: "admin@weak.test",
      membership: { tenantId: tenant.id, role: "CUSTOMER_ADMIN" },
    })
  ).id;
  const seenAt = new Date().toISOString();
  await prisma.server.create({
    data: {
      name: "mx-weak",
      tenantId: tenant.id,
      postureAt: new Date(),
      posture: testPosture({ weakPasswords: [{ address: "carol@weak.test", problems, seenAt }] }),
    },
  });
  // another customer's agent reporting an address of this domain changes nothing here
  await prisma.server.create({
    data: {
      name: "mx-other",
      tenantId: other.id,
      postureAt: new Date(),
      posture: testPosture({ weakPasswords: [{ address: "dave@weak.test", problems, seenAt }] }),
    },
  });
});
afterAll(async () => stop?.());

const flags = async () =>
  Object.fromEntries(
    (await callerFor(prisma, ids.admin).domain.get({ domainId: ids.domain })).mailboxes.map((mailbox) => [
      mailbox.localPart,
      mailbox.weakPassword?.problems ?? null,
    ]),
  );

describe("weak mailbox passwords on the domain page", () => {
  it("shows the reasons for the mailbox the customer's agent reported, and nothing for others", async () => {
    expect(await flags()).toEqual({ carol: problems, dave: null });
  });

  it("drops the flag once the password is reset in the console", async () => {
    await callerFor(prisma, ids.admin).domain.resetMailboxPassword({
      mailboxId: ids.mailbox,
      password: "Granite-meadow-Falcon-93",
    });
    expect(await flags()).toEqual({ carol: null, dave: null });
  });
});
