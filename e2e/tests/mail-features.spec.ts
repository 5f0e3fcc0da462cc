// The mail features of the domain and server pages, in a real browser against the real console, hub and
// an enrolled agent, each proved on real SMTP: an alias fans out to two mailboxes; the catch-all takes
// mail for unknown addresses (and refusing them again gives 550); an auto-reply answers a sender once;
// the DKIM record the agent's key needs is shown to copy; a smarthost that does not answer leaves mail
// in the queue card, where it can be deleted; all audited. Signs in as console.spec.ts's provider admin.
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { maildirMessages, type TestAgent } from "../support/agent";
import { addCustomer, addDomain, addMailbox, enrollServer, nav, openDomain } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";
import { sendMail } from "../support/smtp";

const domain = "features-e2e.test";
const passwords = { alice: "Harbor-Lantern-Pass-41", bob: "Meadow-Compass-Pass-52" };
const workDir = process.env.MW_E2E_DIR ?? os.tmpdir();
const state: { agent?: TestAgent } = {};

test.describe.configure({ mode: "serial" });
test.afterAll(async () => state.agent?.stop());

/** Authenticated submission as alice, as her mail app would send it. */
const sendAsAlice = (to: string, subject: string) =>
  sendMail({
    port: state.agent!.ports.submission,
    auth: { user: `alice@${domain}`, pass: passwords.alice },
    from: `alice@${domain}`,
    to,
    subject,
  });

async function inMailbox(localPart: string, subject: string) {
  await expect(() =>
    expect(
      maildirMessages(state.agent!.stateDir, domain, localPart).some((m) =>
        m.includes(`Subject: ${subject}`),
      ),
    ).toBe(true),
  ).toPass({ timeout: 15_000 });
}

test("set-up: a customer, a domain with two mailboxes and an enrolled agent", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await addCustomer(page, "Feature Co");
  await addDomain(page, "Feature Co", domain);
  for (const [localPart, password] of Object.entries(passwords)) {
    await addMailbox(page, domain, localPart, password);
  }
  state.agent = await enrollServer(page, "Feature Co", "mx-features", path.join(workDir, "agent-features"));
});

test("an alias forwards to both mailboxes; the catch-all takes unknown addresses until refused again", async ({
  page,
}) => {
  await signInAsProviderAdmin(page);
  await openDomain(page, domain);
  await page.getByRole("tab", { name: "Aliases & lists" }).click();
  await expect(page.getByText("No aliases")).toBeVisible();
  await page.getByRole("button", { name: "Add alias" }).click();
  const dialog = page.getByRole("dialog", { name: `Add an alias to ${domain}` });
  await dialog.getByLabel("Address").fill("team");
  await dialog.getByLabel("Forwards to").fill("alice, bob");
  await dialog.getByRole("button", { name: "Create alias" }).click();
  await expect(page.getByRole("cell", { name: `alice@${domain}, bob@${domain}` })).toBeVisible();
  await expect(async () => {
    expect((await sendAsAlice(`team@${domain}`, "to the team")).responseCode).toBe(250);
  }).toPass({ timeout: 20_000 });
  await inMailbox("alice", "to the team");
  await inMailbox("bob", "to the team");

  // Unknown addresses are refused at RCPT, until the catch-all delivers them to bob (a loosening).
  expect((await sendAsAlice(`nobody@${domain}`, "lost")).responseCode).toBe(550);
  // A choice is a draft until saved, as every policy setting.
  const catchAll = page.getByTestId("catch-all-card");
  await page.locator("#catchAllMailbox").selectOption({ label: `Deliver to bob@${domain}` });
  await expect(catchAll.getByTestId("catchAllMailbox-unsaved")).toBeVisible();
  await catchAll.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("button", { name: "Loosen it" }).click();
  await expect(catchAll.getByText("Saved. Agents apply it within seconds.")).toBeVisible();
  await expect(async () => {
    expect((await sendAsAlice(`nobody@${domain}`, "caught")).responseCode).toBe(250);
  }).toPass({ timeout: 20_000 });
  await inMailbox("bob", "caught");
  await page.locator("#catchAllMailbox").selectOption({ label: "Refuse unknown addresses (recommended)" });
  await catchAll.getByRole("button", { name: "Save changes" }).click();
  await expect(catchAll.getByText("Saved. Agents apply it within seconds.")).toBeVisible();
  await expect(async () => {
    expect((await sendAsAlice(`nobody@${domain}`, "refused again")).responseCode).toBe(550);
  }).toPass({ timeout: 20_000 });
});

test("an auto-reply answers the sender once; the DKIM record to publish is shown", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await openDomain(page, domain);
  await page
    .getByRole("row", { name: new RegExp(`bob@${domain}`) })
    .getByRole("button", { name: "Auto-reply" })
    .click();
  const dialog = page.getByRole("dialog", { name: `Auto-reply of bob@${domain}` });
  await dialog.getByLabel("Send an automatic reply").check();
  await dialog.getByLabel("Subject").fill("Bob is away");
  await dialog.getByLabel("Message").fill("Back on Monday.");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  // the agent applies the change within seconds; until then a message gets no reply, so retry with new ones
  let sent = 0;
  await expect(async () => {
    sent += 1;
    expect((await sendAsAlice(`bob@${domain}`, `question ${sent}`)).responseCode).toBe(250);
    await inMailbox("alice", "Bob is away");
  }).toPass({ timeout: 30_000 });
  await sendAsAlice(`bob@${domain}`, "one more question");
  await inMailbox("bob", "one more question");
  const replies = maildirMessages(state.agent!.stateDir, domain, "alice").filter((m) =>
    m.includes("Subject: Bob is away"),
  );
  expect(replies).toHaveLength(1);
  expect(replies[0]).toMatch(/^Auto-Submitted: auto-replied/m);

  await page.getByRole("tab", { name: "DNS" }).click();
  await expect(page.getByTestId("copy-dkim-record-name")).toContainText(
    new RegExp(`^mw\\d{6}-[0-9a-f]{6}\\._domainkey\\.${domain.replace(/\./g, "\\.")}`),
    {
      timeout: 30_000,
    },
  );
  await expect(page.getByTestId("copy-dkim-record-type")).toContainText("TXT");
  await expect(page.getByTestId("copy-dkim-record-value")).toContainText("v=DKIM1; k=rsa; p=");
});

test("with a smarthost that does not answer, mail waits in the queue card and can be deleted there", async ({
  page,
}) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Servers").click();
  await page.getByRole("link", { name: "mx-features" }).click();
  await page
    .getByLabel("Role")
    .selectOption({ label: "Primary with smarthost — sends all remote mail through a relay host" });
  await page.locator("#serverRole-host").fill("127.0.0.1:9");
  await page
    .getByRole("region", { name: "Unsaved server role change" })
    .getByRole("button", { name: "Save changes" })
    .click();
  await expect(page.getByTestId("serverRole-effective")).toContainText("127.0.0.1:9");
  await page.getByRole("tab", { name: "Queue" }).click();

  await expect(async () => {
    expect((await sendAsAlice("partner@elsewhere.test", "via the smarthost")).responseCode).toBe(250);
    await page.getByTestId("queue-card").getByRole("button", { name: "Refresh" }).click();
    await expect(
      page.getByTestId("queue-recipient").filter({ hasText: "partner@elsewhere.test" }),
    ).toContainText("127.0.0.1", { timeout: 5000 });
  }).toPass({ timeout: 45_000 });
  const row = page.getByTestId("queue-recipient").filter({ hasText: "partner@elsewhere.test" }).first();
  await expect(row).toContainText("waiting");
  await row.getByRole("button", { name: "Delete" }).click();
  await page
    .getByRole("dialog", { name: "Delete this message?" })
    .getByRole("button", { name: "Delete message" })
    .click();
  await expect(page.getByText("The queue is empty: all mail has been delivered")).toBeVisible({
    timeout: 20_000,
  });

  await nav(page, "Audit log").click();
  await page.getByLabel("Event type").selectOption({ label: "queue message deleted" });
  await expect(page.getByTestId("audit-table")).toContainText(/1 queued message on mx-features/);
});
