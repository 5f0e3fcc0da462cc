// Which listeners a server's agent opens, as the provider sets them on the server page: shown with the
// ports the agent reports, saved with an audit event and a new desired revision, carried in the config
// the hub pushes; customer admins may look but not change, and another tenant cannot see the server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@mailwarden/db";
import { buildAgentConfig } from "@mailwarden/hub";
import { callerFor, createTestRuntime, createUser, testPosture } from "../testing";

let prisma: Db;
let stop: () => Promise<void>;
let admin: ReturnType<typeof callerFor>;
let customerAdmin: ReturnType<typeof callerFor>;
let outsider: ReturnType<typeof callerFor>;
let serverId: string;

beforeAll(async () => {
  const db = await createTestRuntime();
  prisma = db.prisma;
  stop = db.stop;
  const user = await createUser(prisma, { email: "ops@provider.test", providerRole: "PROVIDER_ADMIN" });
  await prisma.totpSecret.create({ data: { userId: user.id, encryptedSecret: "x", enabledAt: new Date() } });
  admin = callerFor(prisma, user.id);
  const tenant = await admin.customer.create({ name: "Listen Co", require2fa: false });
  const other = await admin.customer.create({ name: "Elsewhere Co", require2fa: false });
  serverId = (await admin.server.create({ name: "mx-listen", customerId: tenant.id })).id;
  customerAdmin = callerFor(
    prisma,
    (
      await createUser(prisma, {
        email: "ca@listen.test",
        membership: { tenantId: tenant.id, role: "CUSTOMER_ADMIN" },
      })
    ).id,
  );
  outsider = callerFor(
    prisma,
    (
      await createUser(prisma, {
        email: "ca@elsewhere.test",
        membership: { tenantId: other.id, role: "CUSTOMER_ADMIN" },
      })
    ).id,
  );
});
afterAll(async () => stop?.());

describe("server listeners", () => {
  it("shows all five on by default, each with the port the agent reports", async () => {
    await prisma.server.update({
      where: { id: serverId },
      data: {
        posture: testPosture({
          listeners: [
            { name: "inbound", port: 2525, tls: "starttls", authAdvertisedBeforeTls: false },
            { name: "pop3s", port: 2529, tls: "implicit", authAdvertisedBeforeTls: false },
          ],
        }),
      },
    });
    const server = await admin.server.get({ serverId });
    expect(server.listeners.map((l) => [l.key, l.isOn, l.port, l.usualPort])).toEqual([
      ["INBOUND", true, 2525, 25],
      ["SUBMISSION", true, null, 587],
      ["SUBMISSION_TLS", true, null, 465],
      ["POP3", true, null, 110],
      ["POP3S", true, 2529, 995],
    ]);
  });

  it("saves a change with an audit event and a new revision, and the agent's config carries it", async () => {
    const before = await prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    const result = await admin.server.updateListeners({
      serverId,
      listeners: ["POP3S", "SUBMISSION", "INBOUND", "SUBMISSION"],
    });
    expect(result).toMatchObject({ changed: true, listeners: ["INBOUND", "SUBMISSION", "POP3S"] });
    const after = await prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    expect(after.desiredRevision).toBe(before.desiredRevision + 1);
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { type: "SERVER_UPDATED", targetId: serverId },
    });
    expect(audit.summary).toBe(
      "Listeners of mx-listen changed — turned off: Submission over TLS, POP3 with STLS",
    );
    expect(audit.after).toEqual({
      listeners: "Inbound mail (MX) (25), Submission with STARTTLS (587), POP3 over TLS (995)",
    });
    const { revision, config } = await buildAgentConfig(prisma, serverId);
    expect(revision).toBe(after.desiredRevision);
    expect(config.listeners).toEqual(["inbound", "submission", "pop3s"]);
    expect((await admin.server.get({ serverId })).listeners.filter((l) => l.isOn).map((l) => l.key)).toEqual([
      "INBOUND",
      "SUBMISSION",
      "POP3S",
    ]);

    // Saving the same set again changes nothing: no event, no push.
    expect(
      await admin.server.updateListeners({ serverId, listeners: ["INBOUND", "SUBMISSION", "POP3S"] }),
    ).toMatchObject({ changed: false });
    expect(await prisma.auditEvent.count({ where: { type: "SERVER_UPDATED", targetId: serverId } })).toBe(1);
    expect((await prisma.server.findUniqueOrThrow({ where: { id: serverId } })).desiredRevision).toBe(
      after.desiredRevision,
    );
  });

  it("lets a customer admin see the listeners but not change them; another customer gets NOT_FOUND", async () => {
    expect((await customerAdmin.server.get({ serverId })).listeners).toHaveLength(5);
    await expect(customerAdmin.server.updateListeners({ serverId, listeners: [] })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(outsider.server.updateListeners({ serverId, listeners: [] })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const server = await prisma.server.findUniqueOrThrow({ where: { id: serverId } });
    expect(server.listeners).toEqual(["INBOUND", "SUBMISSION", "POP3S"]);
  });
});
