// Customers as a provider admin manages them: names become unique slugs, deleting a customer removes
// its domains and servers but never its history in the audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { callerFor, createTestRuntime, createUser } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
let admin: ReturnType<typeof callerFor>;

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  admin = callerFor(prisma, user.id);
});
afterAll(async () => stop?.());

describe("customers", () => {
  it("gives two customers whose names read alike different slugs", async () => {
    const first = await admin.customer.create({ name: "Café Zürich", require2fa: false });
    const second = await admin.customer.create({ name: "Cafe Zurich", require2fa: true });
    expect(first.slug).toBe("cafe-zurich");
    expect(second.slug).toBe("cafe-zurich-2");
  });

  it("refuses a second customer of the same name, whatever its case, and says which field", async () => {
    await admin.customer.create({ name: "Northwind Hosting", require2fa: false });
    for (const name of ["Northwind Hosting", "NORTHWIND hosting", "  northwind hosting "]) {
      await expect(admin.customer.create({ name, require2fa: false })).rejects.toMatchObject({
        code: "CONFLICT",
        message: "A customer named Northwind Hosting already exists.",
        cause: { field: "name" },
      });
    }
    expect(
      await prisma.tenant.count({ where: { name: { contains: "northwind", mode: "insensitive" } } }),
    ).toBe(1);
  });

  it("refuses renaming a customer to another customer's name, but not to its own in another case", async () => {
    await admin.customer.create({ name: "Contoso Mail", require2fa: false });
    const other = await admin.customer.create({ name: "Fabrikam", require2fa: false });
    await expect(admin.customer.update({ customerId: other.id, name: "contoso mail" })).rejects.toMatchObject(
      {
        code: "CONFLICT",
        message: "A customer named Contoso Mail already exists.",
      },
    );
    await admin.customer.update({ customerId: other.id, name: "FABRIKAM" });
    expect((await admin.customer.get({ customerId: other.id })).name).toBe("FABRIKAM");
  });

  it("deleting a customer removes its domains and servers but keeps the audit trail", async () => {
    const customer = await admin.customer.create({ name: "Short Lived", require2fa: false });
    const domain = await admin.domain.create({ name: "short-lived.test", customerId: customer.id });
    await admin.server.create({ name: "mx-short", customerId: customer.id });
    await admin.customer.delete({ customerId: customer.id });

    expect(await prisma.domain.findUnique({ where: { id: domain.id } })).toBeNull();
    expect(await prisma.server.count({ where: { name: "mx-short" } })).toBe(0);
    const history = await admin.audit.list({ search: "short", limit: 50 });
    const summaries = history.items.map((e) => e.summary);
    expect(summaries).toContain("Domain short-lived.test added");
    expect(summaries).toContain("Customer Short Lived deleted with its domains, mailboxes and servers");
  });

  it("refuses a customer name that is only spaces", async () => {
    await expect(admin.customer.create({ name: "   ", require2fa: false })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
