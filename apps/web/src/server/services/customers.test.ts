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
  it("gives two customers with the same name different slugs", async () => {
    const first = await admin.customer.create({ name: "Café Zürich", require2fa: false });
    const second = await admin.customer.create({ name: "Café Zürich", require2fa: true });
    expect(first.slug).toBe("cafe-zurich");
    expect(second.slug).toBe("cafe-zurich-2");
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
