// Domains as an admin adds them: an internationalised name ("bücher.example") is accepted and stored the
// way DNS, SMTP and the agents know it (punycode), once, whichever way it is typed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { callerFor, createTestRuntime, createUser } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
let admin: ReturnType<typeof callerFor>;
let customerId: string;

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  admin = callerFor(prisma, user.id);
  customerId = (await admin.customer.create({ name: "Buchhandlung", require2fa: false })).id;
});
afterAll(async () => stop?.());

describe("domains", () => {
  it("stores an IDN domain as punycode", async () => {
    const created = await admin.domain.create({ name: "Bücher.Example.", customerId });
    expect(created.name).toBe("xn--bcher-kva.example");
    const stored = await prisma.domain.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.name).toBe("xn--bcher-kva.example");
    expect((await admin.domain.list({ customerId })).map((d) => d.name)).toContain("xn--bcher-kva.example");
  });

  it("treats the Unicode and the punycode spelling as one domain", async () => {
    await expect(admin.domain.create({ name: "xn--bcher-kva.example", customerId })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "bücher.example is already managed here.",
    });
  });

  it("accepts a Unicode top-level domain, and ASCII names as before", async () => {
    expect((await admin.domain.create({ name: "пример.рф", customerId })).name).toBe("xn--e1afmkfd.xn--p1ai");
    expect((await admin.domain.create({ name: "Plain.Example", customerId })).name).toBe("plain.example");
  });

  it("says in the audit log, in Unicode, which domain was added", async () => {
    const history = await admin.audit.list({ search: "bücher", limit: 10 });
    expect(history.items.map((e) => e.summary)).toContain("Domain bücher.example added");
  });

  it("refuses what is not a domain name", async () => {
    for (const name of ["bücher", "a b.example", "info@bücher.example", "bücher.example/x", "-x.example"]) {
      await expect(admin.domain.create({ name, customerId }), name).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    }
  });
});
