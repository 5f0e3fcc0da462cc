// The DKIM record a customer sees on the domain page: built from the newest posture of its servers that
// reports a key for the domain, nothing until a server has reported one, and NOT_FOUND for a domain of
// another customer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import type { Posture } from "@mailwarden/protocol";
import { callerFor, createTestRuntime, createUser, testPosture } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
const ids = {} as { tenant: string; domain: string; other: string; otherDomain: string; admin: string };

const posture = (dkim?: Posture["dkim"]) => testPosture(dkim ? { dkim } : {});

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const tenant = await prisma.tenant.create({ data: { name: "Dkim Co", slug: "dkim-co" } });
  const other = await prisma.tenant.create({ data: { name: "Other Co", slug: "other-co" } });
  ids.tenant = tenant.id;
  ids.other = other.id;
  ids.domain = (await prisma.domain.create({ data: { name: "signed.test", tenantId: tenant.id } })).id;
  ids.otherDomain = (await prisma.domain.create({ data: { name: "other.test", tenantId: other.id } })).id;
  ids.admin = (
    await createUser(prisma, {
      email: "admin@signed.test",
      membership: { tenantId: tenant.id, role: "DOMAIN_ADMIN", domainIds: [ids.domain] },
    })
  ).id;
});
afterAll(async () => stop?.());

describe("domain.dkimRecord", () => {
  it("is null until a server reports a key for the domain", async () => {
    await prisma.server.create({
      data: { name: "mx-old", tenantId: ids.tenant, posture: posture(), postureAt: new Date() },
    });
    expect(await callerFor(prisma, ids.admin).domain.dkimRecord({ domainId: ids.domain })).toBeNull();
  });

  it("is the TXT record of the newest posture that reports a key for the domain", async () => {
    const minuteAgo = new Date(Date.now() - 60_000);
    await prisma.server.create({
      data: {
        name: "mx-a",
        tenantId: ids.tenant,
        postureAt: minuteAgo,
        posture: posture([{ domain: "signed.test", selector: "mw202601-aaaaaa", publicKey: "OLDKEY" }]),
      },
    });
    await prisma.server.create({
      data: {
        name: "mx-b",
        tenantId: ids.tenant,
        postureAt: new Date(),
        posture: posture([
          { domain: "elsewhere.test", selector: "mw202611-cccccc", publicKey: "NOTTHIS" },
          { domain: "signed.test", selector: "mw202611-bbbbbb", publicKey: "MIIBIjANBgkq" },
        ]),
      },
    });
    expect(await callerFor(prisma, ids.admin).domain.dkimRecord({ domainId: ids.domain })).toEqual({
      name: "mw202611-bbbbbb._domainkey.signed.test",
      type: "TXT",
      value: "v=DKIM1; k=rsa; p=MIIBIjANBgkq",
    });
  });

  it("answers NOT_FOUND for another customer's domain, even when its server reports a key", async () => {
    await prisma.server.create({
      data: {
        name: "mx-other",
        tenantId: ids.other,
        postureAt: new Date(),
        posture: posture([{ domain: "other.test", selector: "mw202611-dddddd", publicKey: "SECRET" }]),
      },
    });
    await expect(
      callerFor(prisma, ids.admin).domain.dkimRecord({ domainId: ids.otherDomain }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
