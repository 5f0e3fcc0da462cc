// Mailing lists (policy row 22) in a real browser against the real console, hub and an enrolled agent,
// proved on real SMTP: the domain page's card starts empty and says what to do; a list made there
// reaches its members with List-Id; a logged-in non-member gets 550 naming the rule until the list is
// opened to anyone. Signs in as console.spec.ts's provider admin.
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { maildirMessages, type TestAgent } from "../support/agent";
import { addCustomer, addDomain, addMailbox, enrollServer, nav, openDomain } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";
import { sendMail } from "../support/smtp";

const domain = "lists-e2e.test";
const passwords = { alice: "Quartz-Harbor-Pass-63", bob: "Violet-Meadow-Pass-74" };
const workDir = process.env.MW_E2E_DIR ?? os.tmpdir();
const state: { agent?: TestAgent } = {};

test.describe.configure({ mode: "serial" });
test.afterAll(async () => state.agent?.stop());

/** Authenticated submission to the list, as the user's mail app would send it. */
const post = (user: keyof typeof passwords, subject: string) =>
  sendMail({
    port: state.agent!.ports.submission,
    auth: { user: `${user}@${domain}`, pass: passwords[user] },
    from: `${user}@${domain}`,
    to: `team@${domain}`,
    subject,
  });

test("set-up: a customer, a domain with two mailboxes and an enrolled agent", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await addCustomer(page, "List Co");
  await addDomain(page, "List Co", domain);
  for (const [localPart, password] of Object.entries(passwords)) {
    await addMailbox(page, domain, localPart, password);
  }
  state.agent = await enrollServer(page, "List Co", "mx-lists", path.join(workDir, "agent-lists"));
});

test("a list made on the domain page: a member's post reaches the members, a non-member gets 550", async ({
  page,
}) => {
  await signInAsProviderAdmin(page);
  await openDomain(page, domain);
  await expect(page.getByText("No mailing lists")).toBeVisible();
  await expect(page.getByText("Add a list, then its members")).toBeVisible();

  await page.getByRole("button", { name: "Add list" }).click();
  const dialog = page.getByRole("dialog", { name: `Add a mailing list to ${domain}` });
  await dialog.getByLabel("Address").fill("team");
  await dialog.getByLabel("Name").fill("Team");
  await dialog.getByLabel("Members").fill("alice");
  await dialog.getByRole("button", { name: "Create list" }).click();
  const row = page.getByRole("row", { name: new RegExp(`team@${domain.replace(/\./g, "\\.")}`) });
  await expect(row).toContainText("domain default");

  // alice is a member: once the agent has the list, her post goes to every member with List-Id
  await expect(async () => {
    expect((await post("alice", "to the team")).responseCode).toBe(250);
  }).toPass({ timeout: 20_000 });
  await expect(() =>
    expect(
      maildirMessages(state.agent!.stateDir, domain, "alice").some(
        (m) => m.includes("Subject: to the team") && m.includes(`List-Id: "Team" <team.${domain}>`),
      ),
    ).toBe(true),
  ).toPass({ timeout: 15_000 });
  const refused = await post("bob", "from a non-member");
  expect(refused.responseCode).toBe(550);
  expect(refused.response).toContain(`Mailing list team@${domain} accepts posts only from its members`);

  // opened to anyone, bob's post goes through
  await row.getByRole("button", { name: "Edit" }).click();
  await page
    .getByRole("dialog", { name: `Edit team@${domain}` })
    .getByLabel("Who may post")
    .selectOption("anyone");
  await page.getByRole("button", { name: "Save list" }).click();
  await expect(row).toContainText("Anyone");
  await expect(async () => {
    expect((await post("bob", "now open")).responseCode).toBe(250);
  }).toPass({ timeout: 20_000 });

  await nav(page, "Audit log").click();
  await expect(page.getByTestId("audit-table")).toContainText(`Mailing list team@${domain} changed`);
});
