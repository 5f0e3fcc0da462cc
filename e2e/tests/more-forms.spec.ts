// The forms forms.spec.ts and policy-editor.spec.ts do not reach — a mailing list, a mailbox's
// auto-reply and sending limits, a new provider staff member, the console's idle timeout — given empty,
// too long and malformed input: each says what is wrong in plain words under its field, keeps the dialog
// open, and the page never shows JSON or a zod issue code.
import { expect, test, type Locator, type Page } from "@playwright/test";
import { addCustomer, addDomain, addMailbox, nav } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";

const domain = "more-forms.test";

test.describe.configure({ mode: "serial" });

async function expectPlainWords(page: Page) {
  const text = await page.locator("body").innerText();
  expect(text).not.toMatch(/\{"|"code":|too_small|too_big|invalid_format|invalid_type/);
}

/** The message under the field with this label. */
async function expectMessageUnder(field: Locator, message: string | RegExp) {
  await expect(field).toHaveAttribute("aria-invalid", "true");
  const escaped = typeof message === "string" ? message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : null;
  await expect(field).toHaveAccessibleDescription(escaped === null ? message : new RegExp(escaped));
}

/** Past the input's maxlength, as a paste or a script could: the schema's words still answer. */
async function fillPastLimit(field: Locator, length: number) {
  await field.evaluate((input) => input.removeAttribute("maxlength"));
  await field.fill("x".repeat(length));
}

test("mailing list, auto-reply and sending-limit forms", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await addCustomer(page, "More Forms Client");
  await addDomain(page, "More Forms Client", domain);
  await addMailbox(page, domain, "erin", "Harbor-Strong-Mailbox-47");

  await page.getByRole("tab", { name: "Aliases & lists" }).click();
  await page.getByRole("button", { name: "Add list" }).click();
  const list = page.getByRole("dialog").filter({ has: page.getByRole("button", { name: "Create list" }) });
  await list.getByRole("button", { name: "Create list" }).click();
  await expectMessageUnder(list.getByLabel("Address"), /Enter the part before @/);
  await fillPastLimit(list.getByLabel("Name"), 300);
  await list.getByLabel("Members").fill("erin, bad@@example");
  await list.getByRole("button", { name: "Create list" }).click();
  await expectMessageUnder(list.getByLabel("Name"), "At most 200 characters.");
  await expectMessageUnder(list.getByLabel("Members"), "Not an e-mail address: bad@@example.");
  await expectPlainWords(page);
  await list.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("tab", { name: "Mailboxes" }).click();
  await page.getByRole("button", { name: "Auto-reply" }).first().click();
  const reply = page.getByRole("dialog", { name: `Auto-reply of erin@${domain}` });
  await reply.getByLabel("Send an automatic reply").check();
  await fillPastLimit(reply.getByLabel("Subject"), 300);
  await reply.getByLabel(/Answer each sender at most once/).fill("0");
  await reply.getByRole("button", { name: "Save" }).click();
  await expectMessageUnder(reply.getByLabel("Subject"), "At most 200 characters.");
  await expectMessageUnder(reply.getByLabel(/Answer each sender at most once/), "At least 1 hour.");
  await expectPlainWords(page);
  await reply.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("button", { name: "Sending limits" }).first().click();
  const limits = page.getByRole("dialog", { name: `Sending limits of erin@${domain}` });
  const perHour = limits.getByRole("spinbutton").first();
  await perHour.fill("0");
  await limits.getByRole("button", { name: "Save" }).click();
  await expectMessageUnder(perHour, "At least 1, or leave it empty.");
  await perHour.fill("2.5");
  await expectMessageUnder(perHour, "Enter a whole number, or leave it empty.");
  await expectPlainWords(page);
});

test("new provider staff and the idle timeout", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await nav(page, "People").click();
  await page.getByRole("button", { name: "Add person" }).click();
  const person = page.getByRole("dialog", { name: "Add a person" });
  await person.getByRole("button", { name: "Add person" }).click();
  await expectMessageUnder(person.getByLabel("Name"), "Enter their name.");
  await expectMessageUnder(person.getByLabel("Email"), "Enter an email address.");
  await expectMessageUnder(person.getByLabel("Initial password"), /Enter an initial password\./);
  await fillPastLimit(person.getByLabel("Name"), 300);
  await person.getByLabel("Email").fill("someone@");
  await expectMessageUnder(person.getByLabel("Name"), "At most 100 characters.");
  await expectMessageUnder(person.getByLabel("Email"), "Enter a valid email address.");
  await expectPlainWords(page);
  await person.getByRole("button", { name: "Cancel" }).click();

  const timeout = page.getByLabel(/Sign out after/);
  // The People page has more settings cards (the mail log's retention): this one's Save.
  const sessionsSave = page
    .locator("form")
    .filter({ has: timeout })
    .getByRole("button", { name: "Save", exact: true });
  for (const [value, message] of [
    ["3", "At least 5 minutes."],
    ["5000", "At most 1440 minutes (24 hours)."],
    ["7.5", "Enter a whole number of minutes."],
  ] as const) {
    await timeout.fill(value);
    await sessionsSave.click();
    await expectMessageUnder(timeout, message);
  }
  await expectPlainWords(page);
  await timeout.fill("45");
  await sessionsSave.click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel(/Sign out after/)).toHaveValue("45");
  await timeout.fill("30");
  await sessionsSave.click();
  await expect(page.getByText("Saved.")).toBeVisible();
});
