// Mailing lists (policy row 22) in a real browser against the real console, hub and an enrolled agent,
// proved on real SMTP: the domain page's card starts empty and says what to do; a list made there
// reaches its members with List-Id; a logged-in non-member gets 550 naming the rule until the list is
// opened to anyone; a member the agent paused after bounces shows so, and "Resume delivery" lets it back
// in, audited; until then the overview alerts on it, linking to the domain. Signs in as console.spec.ts's
// provider admin.
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { maildirMessages, type TestAgent } from "../support/agent";
import { addCustomer, addDomain, addMailbox, enrollServer, nav, openDomain } from "../support/console";
import { reportPosture } from "../support/database";
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
  await page.getByRole("tab", { name: "Aliases & lists" }).click();
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

test("a member paused after bounces shows as paused until Resume delivery, which is audited", async ({
  page,
}) => {
  // Bounces on three different days cannot happen in a test's time, so the journey reports them for the
  // agent; it stops the agent first so that the agent's own next posture does not overwrite them.
  await state.agent!.stop();
  const member = `alice@${domain}`;
  const lastBounceAt = new Date(Date.now() - 3_600_000).toISOString();
  await reportPosture("mx-lists", {
    listBounces: [
      {
        list: `team@${domain}`,
        member,
        bounceDays: 3,
        lastBounceAt,
        lastStatus: "5.1.1",
        lastDiagnostic: "550 5.1.1 mailbox unavailable",
        lastSource: "delivery",
        pausedAt: lastBounceAt,
      },
    ],
  });

  // The overview alerts on it, and its link leads to the list's domain page, where delivery is resumed.
  await signInAsProviderAdmin(page);
  const alerted = page.getByTestId("paused-list-members").getByRole("listitem").filter({ hasText: member });
  await expect(alerted).toContainText(`${member} on team@${domain}, since`);
  await expect(alerted).toContainText("last bounce 5.1.1: 550 5.1.1 mailbox unavailable");
  await alerted.getByRole("link", { name: `team@${domain}` }).click();
  await expect(page.getByRole("heading", { name: domain, exact: true })).toBeVisible();
  const bounce = page.getByTestId("list-member-bounce").filter({ hasText: member });
  await expect(bounce.getByText("Paused", { exact: true })).toBeVisible();
  await expect(bounce).toContainText(
    "Paused after bounces on 3 days — last: 5.1.1 550 5.1.1 mailbox unavailable",
  );
  await expect(page.getByText("the list's copies skip it until you resume delivery")).toBeVisible();

  await bounce.getByRole("button", { name: "Resume delivery" }).click();
  await expect(page.getByText(`Delivery to ${member} resumed`)).toBeVisible();
  await expect(page.getByTestId("list-member-bounce")).toHaveCount(0);
  await nav(page, "Overview").click();
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  await expect(page.getByText("Latest changes")).toBeVisible();
  await expect(alerted).toHaveCount(0);

  await nav(page, "Audit log").click();
  await expect(page.getByTestId("audit-table")).toContainText(
    `Resumed delivery to ${member} on list team@${domain}`,
  );
});
