// The mail log end to end (issue 13): real mail through a real enrolled agent, its records shipped to the
// real hub and stored, then found in the browser by recipient alone, traced, and a refusal in that trace
// named in plain words with a link to the setting behind it. A bad address in the search form gets a
// message under its field. Signs in as console.spec.ts's provider admin.
//
// MW_SCREENSHOTS=<dir> also saves the Logs page and the trace at 390 and 1440 px.
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { maildirMessages, type TestAgent } from "../support/agent";
import { addCustomer, addDomain, addMailbox, enrollServer, nav } from "../support/console";
import { recordLogGap } from "../support/database";
import { signInAsProviderAdmin } from "../support/provider-admin";
import { sendMail } from "../support/smtp";

const domain = "logs-e2e.test";
const passwords = { alice: "Lantern-Harbor-Pass-63", bob: "Compass-Meadow-Pass-74" };
const workDir = process.env.MW_E2E_DIR ?? os.tmpdir();
const screenshotDir = process.env.MW_SCREENSHOTS;
const state: { agent?: TestAgent } = {};

test.describe.configure({ mode: "serial" });
test.afterAll(async () => state.agent?.stop());

async function screenshot(page: Page, name: string) {
  if (!screenshotDir) return;
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

test("set-up: a customer, a domain with two mailboxes and an enrolled agent", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await addCustomer(page, "Logs Co");
  await addDomain(page, "Logs Co", domain);
  for (const [localPart, password] of Object.entries(passwords)) {
    await addMailbox(page, domain, localPart, password);
  }
  state.agent = await enrollServer(page, "Logs Co", "mx-logs", path.join(workDir, "agent-logs"));
});

test("a message is found by its recipient, traced, and the refusal in its trace names its rule", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAsProviderAdmin(page);
  await nav(page, "Logs").click();
  await expect(page).toHaveTitle(/^Logs/);

  // A half-typed address is answered under its field, in words.
  await page.getByLabel("Recipient").fill("bob@");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("Enter the recipient's full address, like bob@example.com.")).toBeVisible();
  expect(await page.locator("body").innerText()).not.toMatch(/\{"|"code":|invalid_format/);

  // Nothing for an address that got no mail: the page says what to try next.
  await page.getByLabel("Recipient").fill(`nobody-here@${domain}`);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("No records match")).toBeVisible();
  await screenshot(page, "mail-logs-empty");

  // The address alone is the search. Nothing yet; with Live on, the mail sent now appears by itself.
  await page.getByLabel("Recipient").fill(`bob@${domain}`);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/recipient=bob%40logs-e2e\.test/);
  await expect(page.getByText("No records match")).toBeVisible();
  await page.getByLabel("Live — show new records as they arrive").check();
  await expect(page.getByText("Live: checking for new records every 4 seconds.")).toBeVisible();

  // alice writes to bob and to an address that does not exist, in one message: bob gets it, the other
  // recipient is refused at RCPT.
  await expect(async () => {
    const sent = await sendMail({
      port: state.agent!.ports.submission,
      auth: { user: `alice@${domain}`, pass: passwords.alice },
      from: `alice@${domain}`,
      to: `bob@${domain}, nobody@${domain}`,
      subject: "where did it go",
    });
    expect(sent.responseCode).toBe(250);
  }).toPass({ timeout: 20_000 });
  await expect(() =>
    expect(
      maildirMessages(state.agent!.stateDir, domain, "bob").some((m) =>
        m.includes("Subject: where did it go"),
      ),
    ).toBe(true),
  ).toPass({ timeout: 15_000 });

  const table = page.getByTestId("mail-log-table");
  const delivered = table.getByRole("row").filter({ hasText: `Delivered to bob@${domain}` });
  await expect(delivered).toBeVisible({ timeout: 20_000 });
  await expect(delivered.getByText("Delivered", { exact: true })).toBeVisible();
  await expect(delivered).toContainText("mx-logs");
  await expect(
    table.getByRole("row").filter({ hasText: `Accepted a message from alice@${domain}` }),
  ).toBeVisible();
  // Another recipient's records are not in this search.
  await expect(table.getByText(`nobody@${domain}`)).toHaveCount(0);
  await page.getByLabel("Live — show new records as they arrive").uncheck();
  await screenshot(page, "mail-logs-search");

  await delivered.getByRole("link", { name: "Trace message" }).click();
  await expect(page).toHaveURL(/\/logs\/trace\?messageId=/);
  const messageId = new URL(page.url()).searchParams.get("messageId")!;
  const timeline = page.getByTestId("trace-timeline");
  await expect(timeline.getByTestId("trace-step").first()).toBeVisible();
  for (const step of [
    "Connection from",
    `signed in`,
    `Accepted RCPT to bob@${domain}`,
    `Accepted a message from alice@${domain}`,
    `Delivered to bob@${domain} (the mailbox)`,
  ]) {
    await expect(timeline.getByText(step).first()).toBeVisible();
  }
  const refusal = timeline
    .getByTestId("trace-step")
    .filter({ hasText: `Refused RCPT to nobody@${domain}: there is no such mailbox (rule local-recipient)` });
  await expect(refusal).toBeVisible();
  await expect(refusal.getByText("Refused", { exact: true })).toBeVisible();
  await screenshot(page, "mail-logs-trace");

  // The refusal's setting: the domain's catch-all, one click away.
  await refusal.getByRole("link", { name: "Policy: Catch-all →" }).click();
  await expect(page).toHaveURL(/\/domains\/[^/?]+\?tab=addresses/);
  await expect(page.getByTestId("catch-all-card")).toBeVisible();
  // A setting's link opens the policy editor at that setting, marked.
  const domainPage = new URL(page.url()).pathname;
  await page.goto(`${domainPage}?tab=policy#setting-spfCheck`);
  await expect(page.getByTestId("setting-row-spfCheck")).toHaveAttribute("data-highlighted", "true");

  // The domain's own page shows that refusal under Recent mail.
  await page.getByRole("tab", { name: "Recent mail" }).click();
  await expect(
    page.getByTestId("recent-refusals-table").getByText(`Refused RCPT to nobody@${domain}`),
  ).toBeVisible();
  await expect(
    page.getByTestId("recent-deliveries-table").getByText(`Delivered to bob@${domain}`),
  ).toBeVisible();
  await screenshot(page, "mail-logs-domain");

  // A Message-ID search finds the same message and offers its trace.
  await nav(page, "Logs").click();
  await page.getByLabel("Queue ID or Message-ID").fill(messageId.replace(/^<|>$/g, ""));
  await page.getByRole("button", { name: "Search" }).click();
  await expect(
    page.getByTestId("mail-log-table").getByText(`Accepted a message from alice@${domain}`),
  ).toBeVisible();
  await page.getByRole("link", { name: "Trace this message →" }).click();
  await expect(page.getByTestId("trace-timeline")).toContainText(`Delivered to bob@${domain}`);
});

test("a server whose agent lost records says which ones are missing", async ({ page }) => {
  await recordLogGap("mx-logs", 100_000, 100_049);
  await signInAsProviderAdmin(page);
  await nav(page, "Servers").click();
  await page.getByRole("link", { name: "mx-logs" }).click();
  const gaps = page.getByTestId("log-gaps");
  await expect(gaps).toContainText("The mail log of this server is incomplete.");
  await expect(gaps).toContainText(
    /Log records missing (between .+ and|before) .+: 50 records dropped because its log spool was full/,
  );
  await screenshot(page, "mail-logs-server-gap");
});

test("the provider sets how long the mail log is kept, within 1 to 3650 days, audited", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await nav(page, "People").click();
  const field = page.getByLabel("Keep records for (days)");
  await expect(field).toHaveValue("30");
  await field.fill("0");
  await page.getByRole("button", { name: "Save" }).last().click();
  await expect(page.getByText("At least 1 day.")).toBeVisible();
  await field.fill("45");
  await page.getByRole("button", { name: "Save" }).last().click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await screenshot(page, "mail-logs-retention");
  await nav(page, "Audit log").click();
  await expect(
    page.getByTestId("audit-table").getByText("Mail-log records are now kept for 45 days"),
  ).toBeVisible();
  // Back to the default for the journeys after this one.
  await nav(page, "People").click();
  await page.getByLabel("Keep records for (days)").fill("30");
  await page.getByRole("button", { name: "Save" }).last().click();
  await expect(page.getByText("Saved.")).toBeVisible();
});
