// The policy editor's one save behaviour, in a real browser against the real console: a change is a
// draft, marked on its row and counted in a "Save changes" / "Discard" bar; Discard puts the saved value
// back; Save applies it and shows it saved (still there after a reload); leaving with a draft asks first;
// a value the setting's schema refuses is said under that setting, never as JSON; locking a setting asks
// first and says what it means for customers; at phone width each setting stacks its label above its
// control. The domain page's card forms (aliases, mailing lists, auto-reply, sending limits) say what is
// wrong under the field concerned, for empty, too long and malformed input alike, and ask in the app's
// own dialog before deleting. Signs in as console.spec.ts's provider admin.
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { addCustomer, addDomain, addMailbox, nav } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";

const customer = "Editor Co";
const domain = "editor-e2e.test";

test.describe.configure({ mode: "serial" });

/** A customer's, domain's or server's page keeps its policy in the "Policy" tab. */
async function openPolicyTab(page: Page) {
  await page.getByRole("tab", { name: "Policy", exact: true }).click();
}

async function openCustomerPolicy(page: Page) {
  await nav(page, "Customers").click();
  await page.getByRole("link", { name: customer, exact: true }).click();
  await page.waitForURL(/\/customers\/[^/?]+/);
  await openPolicyTab(page);
  await expect(page.getByTestId("setting-row-maxMailingListsPerDomain")).toBeVisible();
}

const saveBar = (page: Page) => page.getByRole("region", { name: "Unsaved policy changes" });

/** No serialized error objects anywhere on the page. */
async function expectNoJson(page: Page) {
  const text = await page.locator("body").innerText();
  expect(text).not.toMatch(/"code"\s*:|"path"\s*:|\[\s*\{|"message"\s*:/);
}

test("a change is a draft until saved: marked, discarded, then saved and kept", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await addCustomer(page, customer);
  await openCustomerPolicy(page);
  const row = page.getByTestId("setting-row-maxMailingListsPerDomain");
  const input = page.getByLabel("Mailing lists per domain", { exact: true });
  await expect(input).toHaveValue("10");
  await expect(saveBar(page)).toHaveCount(0);

  // A change is marked on its row and counted in the bar; nothing is saved yet.
  await input.fill("4");
  await expect(row.getByTestId("maxMailingListsPerDomain-unsaved")).toBeVisible();
  await expect(saveBar(page)).toContainText("1 unsaved change");
  await expect(page.getByTestId("maxMailingListsPerDomain-effective")).toHaveText("10");

  // Discard puts the saved value back.
  await saveBar(page).getByRole("button", { name: "Discard" }).click();
  await expect(input).toHaveValue("10");
  await expect(row.getByTestId("maxMailingListsPerDomain-unsaved")).toHaveCount(0);
  await expect(saveBar(page)).toHaveCount(0);

  // Leaving with a draft asks first; staying keeps the draft.
  await input.fill("4");
  await nav(page, "Domains").click();
  const leave = page.getByRole("dialog", { name: "Leave without saving?" });
  await expect(leave).toBeVisible();
  await leave.getByRole("button", { name: "Stay on this page" }).click();
  await expect(page).toHaveURL(/\/customers\//);
  await expect(input).toHaveValue("4");

  // Save applies it: the row shows the new value set here, the bar says it is saved.
  await saveBar(page).getByRole("button", { name: "Save changes" }).click();
  await expect(saveBar(page)).toContainText("Saved. Connected agents apply it within seconds.");
  await expect(page.getByTestId("maxMailingListsPerDomain-effective")).toHaveText("4");
  await expect(row).toContainText("Set here");
  await expect(row.getByTestId("maxMailingListsPerDomain-saved")).toBeVisible();
  await expect(row.getByTestId("maxMailingListsPerDomain-unsaved")).toHaveCount(0);

  await page.reload();
  await openPolicyTab(page);
  await expect(page.getByLabel("Mailing lists per domain", { exact: true })).toHaveValue("4");

  // With nothing unsaved, leaving does not ask.
  await nav(page, "Domains").click();
  await expect(page).toHaveURL(/\/domains/);
});

test("a value the schema refuses is said under its setting, and nothing is sent", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await openCustomerPolicy(page);
  const row = page.getByTestId("setting-row-maxMailingListsPerDomain");
  const input = page.getByLabel("Mailing lists per domain", { exact: true });

  await input.fill("");
  await saveBar(page).getByRole("button", { name: "Save changes" }).click();
  await expect(row.getByTestId("maxMailingListsPerDomain-error")).toContainText("Enter a number");
  await expect(input).toHaveAttribute("aria-describedby", "setting-maxMailingListsPerDomain-error");
  await expectNoJson(page);

  await input.fill("-3");
  await saveBar(page).getByRole("button", { name: "Save changes" }).click();
  await expect(row.getByTestId("maxMailingListsPerDomain-error")).toBeVisible();
  await expectNoJson(page);

  await saveBar(page).getByRole("button", { name: "Discard" }).click();
  await expect(row.getByTestId("maxMailingListsPerDomain-error")).toHaveCount(0);
  await expect(input).toHaveValue("4");
});

test("locking a setting asks first and says what it means for customers", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Policy").click();
  const row = page.getByTestId("setting-row-maxMailingListsPerDomain");
  const lockButton = row.getByRole("button", { name: "Lock Mailing lists per domain" });
  const dialog = page.getByRole("dialog", { name: "Lock “Mailing lists per domain”?" });

  // Cancel leaves it unlocked.
  await lockButton.click();
  await expect(dialog).toContainText("Customer admins can no longer make “Mailing lists per domain” looser");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("maxMailingListsPerDomain-lock")).toHaveCount(0);
  await expect(lockButton).toHaveAttribute("aria-pressed", "false");

  // Confirmed, it locks.
  await lockButton.click();
  await dialog.getByRole("button", { name: "Lock it" }).click();
  await expect(page.getByTestId("maxMailingListsPerDomain-lock")).toContainText("Locked by");
  await expect(row).toContainText("Locked. Every agent gets it within seconds.");

  // Unlocking asks too; afterwards customers may loosen it again.
  await row.getByRole("button", { name: "Unlock Mailing lists per domain" }).click();
  const unlock = page.getByRole("dialog", { name: "Unlock “Mailing lists per domain”?" });
  await expect(unlock).toContainText("can set “Mailing lists per domain”");
  await unlock.getByRole("button", { name: "Unlock it" }).click();
  await expect(page.getByTestId("maxMailingListsPerDomain-lock")).toHaveCount(0);
});

test("at phone width a setting stacks its label above its control; screenshots at 390 and 1440 px", async ({
  page,
}, testInfo) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Policy").click();
  const row = page.getByTestId("setting-row-maxMailingListsPerDomain");
  const input = page.getByLabel("Mailing lists per domain", { exact: true });
  await input.fill("8");
  await expect(saveBar(page)).toBeVisible();
  // MW_E2E_SHOTS keeps the screenshots somewhere a person can look at them after the run.
  const shot = (name: string) => path.join(process.env.MW_E2E_SHOTS ?? testInfo.outputDir, name);
  await page.setViewportSize({ width: 1440, height: 900 });
  await row.scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot("policy-editor-1440.png") });

  await page.setViewportSize({ width: 390, height: 844 });
  await row.scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot("policy-editor-390.png") });
  await page.screenshot({ path: shot("policy-editor-390-full.png"), fullPage: true });
  const label = await row.locator("label").first().boundingBox();
  const control = await input.boundingBox();
  expect(label && control && label.y + label.height <= control.y).toBe(true);
  // Nothing in the editor is wider than the phone: the page does not scroll sideways.
  const tooWide = await page.getByRole("main").evaluate((main) =>
    [...main.querySelectorAll("[data-testid^='setting-row-'] *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest("table"))
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 120))
      .slice(0, 5),
  );
  expect(tooWide).toEqual([]);
  await saveBar(page).getByRole("button", { name: "Discard" }).click();
});

/** The message under a form field (the console's form pattern puts it at `<id>-error`). */
const fieldError = (page: Page, id: string) => page.locator(`#${id}-error`);

test("the alias form says what is wrong under each field: empty, too long, malformed", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await addDomain(page, customer, domain);
  await addMailbox(page, domain, "alice", "Lantern-Harbor-Pass-93");
  await page.getByRole("tab", { name: "Aliases & lists" }).click();

  await page.getByRole("button", { name: "Add alias" }).click();
  const dialog = page.getByRole("dialog", { name: `Add an alias to ${domain}` });
  const address = dialog.getByLabel("Address");
  await expect(address).toHaveAttribute("required", "");
  await expect(address).toHaveAttribute("maxlength", "64");
  await expect(dialog.getByLabel("Forwards to")).toHaveAttribute("required", "");

  await dialog.getByRole("button", { name: "Create alias" }).click();
  await expect(fieldError(page, "alias-local")).toHaveText("Enter the part before @.");
  await expect(fieldError(page, "alias-targets")).toHaveText("Add at least one address to forward to.");
  await expect(address).toHaveAttribute("aria-invalid", "true");

  // The browser's maxlength stops typing; a pasted or scripted value still meets the schema's words.
  await address.evaluate((input: HTMLInputElement) => input.removeAttribute("maxlength"));
  await address.fill("a".repeat(65));
  await dialog.getByLabel("Forwards to").fill("alice, bad@@example");
  await dialog.getByRole("button", { name: "Create alias" }).click();
  await expect(fieldError(page, "alias-local")).toHaveText("At most 64 characters.");
  await expect(fieldError(page, "alias-targets")).toHaveText("Not an e-mail address: bad@@example.");

  await address.fill("-team");
  await dialog.getByLabel("Forwards to").fill("alice");
  await dialog.getByRole("button", { name: "Create alias" }).click();
  await expect(fieldError(page, "alias-local")).toContainText("Use only letters, digits");
  await expectNoJson(page);

  await address.fill("team");
  await dialog.getByRole("button", { name: "Create alias" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("cell", { name: `alice@${domain}` })).toBeVisible();

  // An address already taken is the server's to say; it says it under the form, in words.
  await page.getByRole("button", { name: "Add alias" }).click();
  await address.fill("alice");
  await dialog.getByLabel("Forwards to").fill("team");
  await dialog.getByRole("button", { name: "Create alias" }).click();
  await expect(dialog.getByRole("alert")).toContainText("already exists");
  await expectNoJson(page);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  // Deleting asks in the app's own dialog; Cancel keeps the alias.
  const aliasRow = page.getByRole("row", { name: new RegExp(`team@${domain.replace(/\./g, "\\.")}`) });
  await aliasRow.getByRole("button", { name: "Delete" }).click();
  const confirmDelete = page.getByRole("dialog", { name: `Delete team@${domain}?` });
  await expect(confirmDelete).toContainText("Mail to this alias will be refused.");
  await confirmDelete.getByRole("button", { name: "Cancel" }).click();
  await expect(aliasRow).toBeVisible();
  await aliasRow.getByRole("button", { name: "Delete" }).click();
  await confirmDelete.getByRole("button", { name: "Delete alias" }).click();
  await expect(aliasRow).toHaveCount(0);
});

test("the mailing list form names a bad member and asks for a moderator under its field", async ({
  page,
}) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Domains").click();
  await page.getByRole("link", { name: domain }).click();
  await page.getByRole("tab", { name: "Aliases & lists" }).click();

  await page.getByRole("button", { name: "Add list" }).click();
  const dialog = page.getByRole("dialog", { name: `Add a mailing list to ${domain}` });
  await dialog.getByRole("button", { name: "Create list" }).click();
  await expect(fieldError(page, "list-local")).toHaveText("Enter the part before @.");

  await dialog.getByLabel("Address").fill("news");
  await dialog.getByLabel("Members").fill("alice\nnot an address@");
  await dialog.getByLabel("Who may post").selectOption("moderators");
  await dialog.getByRole("button", { name: "Create list" }).click();
  await expect(fieldError(page, "list-members")).toHaveText("Not an e-mail address: address@.");
  await expect(fieldError(page, "list-moderators")).toHaveText(
    "Add a moderator: only moderators may post to this list.",
  );
  await expectNoJson(page);

  await dialog.getByLabel("Members").fill("alice");
  await dialog.getByLabel("Moderators").fill("alice");
  await dialog.getByRole("button", { name: "Create list" }).click();
  await expect(dialog).toBeHidden();
  await expect(
    page.getByRole("row", { name: new RegExp(`news@${domain.replace(/\./g, "\\.")}`) }),
  ).toBeVisible();
});

test("the auto-reply and sending-limit forms say what is wrong under the field", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Domains").click();
  await page.getByRole("link", { name: domain }).click();
  const mailbox = page.getByRole("row", { name: new RegExp(`alice@${domain.replace(/\./g, "\\.")}`) });

  await mailbox.getByRole("button", { name: "Auto-reply" }).click();
  const reply = page.getByRole("dialog", { name: `Auto-reply of alice@${domain}` });
  await reply.getByLabel("Send an automatic reply").check();
  await reply.getByRole("button", { name: "Save" }).click();
  await expect(fieldError(page, "auto-reply-body")).toHaveText("Write the reply before turning it on.");
  await reply.getByLabel("Message").fill("Back on Monday.");
  await reply.getByLabel("Answer each sender at most once every (hours)").fill("0");
  await reply.getByRole("button", { name: "Save" }).click();
  await expect(fieldError(page, "auto-reply-interval")).toHaveText("At least 1 hour.");
  await expect(reply.getByLabel("Subject")).toHaveAttribute("maxlength", "200");
  await reply.getByLabel("Answer each sender at most once every (hours)").fill("24");
  await reply.getByRole("button", { name: "Save" }).click();
  await expect(reply).toBeHidden();

  await mailbox.getByRole("button", { name: "Sending limits" }).click();
  const limits = page.getByRole("dialog", { name: `Sending limits of alice@${domain}` });
  await limits.getByLabel("Messages per hour").fill("0");
  await limits.getByRole("button", { name: "Save" }).click();
  await expect(fieldError(page, "sending-limit-messagesPerHour")).toHaveText(
    "At least 1, or leave it empty.",
  );
  // Looser than the domain's limit: only the server knows, and it says so in words.
  await limits.getByLabel("Messages per hour").fill("999999");
  await limits.getByRole("button", { name: "Save" }).click();
  await expect(limits.getByRole("alert")).toContainText("can only be stricter");
  await expectNoJson(page);
  await limits.getByLabel("Messages per hour").fill("");
  await limits.getByRole("button", { name: "Save" }).click();
  await expect(limits).toBeHidden();
});
