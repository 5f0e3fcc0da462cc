// The console's one form pattern, as a hosting admin meets it: every converted form, submitted empty,
// too long and malformed, says what is wrong in plain words under the field it is about (the field's
// accessible description), and the page never shows JSON, a zod issue code or a regular expression.
// Also the app's own confirmation dialog in place of the browser's, and fields full width on a phone.
import { expect, test, type Locator, type Page, type TestInfo } from "@playwright/test";
import { nav, signIn } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";

const customer = "Forms Check Client";
const domain = "forms-check.test";
const userEmail = "fran@forms-check.test";
const userPassword = "Quiet-Harbor-Pass-64";

test.describe.configure({ mode: "serial" });

/** What a user must never read: serialized errors, issue codes, patterns. */
async function expectPlainWords(page: Page) {
  const text = await page.locator("body").innerText();
  expect(text).not.toContain('{"');
  expect(text).not.toContain('"code":');
  expect(text).not.toMatch(/too_small|too_big|invalid_format|invalid_string/);
  expect(text).not.toMatch(/\^\[|\]\{\d|\\d|\$\/|\(\?[:=!]/);
}

/** window.confirm and friends, which the console no longer uses: recorded and dismissed. */
function watchNativeDialogs(page: Page): string[] {
  const seen: string[] = [];
  page.on("dialog", (dialog) => {
    seen.push(dialog.message());
    void dialog.dismiss();
  });
  return seen;
}

/** The message under a field is part of the field's accessible description. */
async function expectFieldMessage(field: Locator, message: string | RegExp) {
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(field).toHaveAccessibleDescription(
    typeof message === "string" ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : message,
  );
}

/**
 * Too long: the input stops typing at the schema's limit; a value pasted past it (an older browser, a
 * script) still gets the plain message rather than reaching the server.
 */
async function expectTooLong(field: Locator, limit: number) {
  await expect(field).toHaveAttribute("maxlength", String(limit));
  await field.evaluate((input) => input.removeAttribute("maxlength"));
  await field.fill("x".repeat(300));
  await field.blur();
  await expectFieldMessage(field, `At most ${limit} characters.`);
}

async function shoot(page: Page, testInfo: TestInfo, name: string) {
  for (const width of [390, 1440]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await page.screenshot({ path: testInfo.outputPath(`${name}-${width}.png`), fullPage: false });
  }
}

/** On a phone, a dialog's fields take its whole width. */
async function expectFullWidthOnPhone(page: Page, dialog: Locator, field: Locator) {
  await page.setViewportSize({ width: 390, height: 844 });
  const [box, input] = [await dialog.boundingBox(), await field.boundingBox()];
  expect(input!.width).toBeGreaterThan(box!.width - 60);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("sign-in: empty, malformed and too long, then what the sign-in answers", async ({
  browser,
}, testInfo) => {
  // Its own client address, so the failed sign-in below delays nobody else's.
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "203.0.113.77" } });
  const page = await context.newPage();
  await page.goto("/login");
  const email = page.getByLabel("Email");
  const password = page.getByLabel("Password");
  await expect(email).toHaveAttribute("type", "email");
  await expect(email).toHaveAttribute("required", "");
  await page.getByRole("button", { name: "Continue" }).click();
  await expectFieldMessage(email, "Enter an email address.");
  await expectFieldMessage(password, "Enter your password.");

  await email.fill("not-an-address");
  await expectFieldMessage(email, "Enter a valid email address.");
  await expectTooLong(email, 254);
  await expectPlainWords(page);
  await shoot(page, testInfo, "login-errors");

  await email.fill("nobody@forms-check.test");
  await password.fill("Not-The-Password-1");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.locator("main form").getByRole("alert")).toBeVisible();
  await expect(email).toHaveAttribute("aria-invalid", "false");
  await expectPlainWords(page);
  await context.close();
});

test("customer and console-user forms", async ({ page }, testInfo) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Customers").click();
  await page.getByRole("button", { name: "Add customer" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Add customer" });
  const name = dialog.getByLabel("Customer name");
  await dialog.getByRole("button", { name: "Create customer" }).click();
  await expectFieldMessage(name, "Enter a name.");
  await expectTooLong(name, 100);
  await expectPlainWords(page);
  await expectFullWidthOnPhone(page, dialog, name);

  await name.fill(customer);
  await dialog.getByLabel("Require two-factor authentication").check();
  await dialog.getByRole("button", { name: "Create customer" }).click();
  await expect(page.getByRole("link", { name: customer })).toBeVisible();

  // The server's answer lands under the field it is about.
  await page.getByRole("button", { name: "Add customer" }).first().click();
  await name.fill(customer.toUpperCase());
  await dialog.getByRole("button", { name: "Create customer" }).click();
  await expectFieldMessage(name, /already exists/);
  await expectPlainWords(page);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("link", { name: customer }).click();
  await page.getByRole("tab", { name: "Users" }).click();
  await page.getByRole("button", { name: "Add user" }).click();
  const userDialog = page.getByRole("dialog", { name: /Add a user/ });
  const userName = userDialog.getByLabel("Name");
  const userEmailField = userDialog.getByLabel("Email");
  const password = userDialog.getByLabel("Initial password");
  await userDialog.getByRole("button", { name: "Add user" }).click();
  await expectFieldMessage(userName, "Enter a name.");
  await expectFieldMessage(userEmailField, "Enter an email address.");
  await expectFieldMessage(password, "Enter a password.");
  // The policy hint stays under the password while its message shows.
  await expect(password).toHaveAccessibleDescription(/Required: /);
  await userEmailField.fill("fran at forms-check");
  await expectFieldMessage(userEmailField, "Enter a valid email address.");
  await expectTooLong(userName, 100);
  await userDialog.getByLabel("Role").selectOption("DOMAIN_ADMIN");
  await userDialog.getByRole("button", { name: "Add user" }).click();
  await expect(userDialog.getByText("Choose at least one domain for a domain admin.")).toBeVisible();
  await expectPlainWords(page);
  await shoot(page, testInfo, "add-user-errors");
  await page.setViewportSize({ width: 1280, height: 900 });

  await userDialog.getByLabel("Role").selectOption("CUSTOMER_ADMIN");
  await userName.fill("Fran Forms");
  await userEmailField.fill(userEmail);
  await password.fill("short");
  await expect(userDialog.getByTestId("password-problems")).toBeVisible();
  await password.fill(userPassword);
  await userDialog.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("cell", { name: new RegExp(userEmail) })).toBeVisible();

  // A second user, removed through the console's own dialog (cancel first, then confirm).
  await page.getByRole("button", { name: "Add user" }).click();
  await userName.fill("Gil Gone");
  await userEmailField.fill("gil@forms-check.test");
  await password.fill(userPassword);
  await userDialog.getByRole("button", { name: "Add user" }).click();
  const gil = page.getByRole("row").filter({ hasText: "gil@forms-check.test" });
  await expect(gil).toBeVisible();
  const nativeDialogs = watchNativeDialogs(page);
  await gil.getByRole("button", { name: "Remove" }).click();
  const confirmation = page.getByRole("dialog", { name: "Remove gil@forms-check.test?" });
  await expect(confirmation).toBeVisible();
  await confirmation.getByRole("button", { name: "Cancel" }).click();
  await expect(confirmation).toBeHidden();
  await expect(gil).toBeVisible();
  await gil.getByRole("button", { name: "Remove" }).click();
  await shoot(page, testInfo, "confirm-remove-user");
  await page.setViewportSize({ width: 1280, height: 900 });
  await confirmation.getByRole("button", { name: "Remove user" }).click();
  await expect(confirmation).toBeHidden();
  await expect(gil).toHaveCount(0);
  expect(nativeDialogs).toEqual([]);
});

test("domain, mailbox and mailbox-password forms", async ({ page }, testInfo) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Domains").click();
  await page.getByRole("button", { name: "Add domain" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Add domain" });
  const customerField = dialog.getByLabel("Customer");
  const name = dialog.getByLabel("Domain name");
  await dialog.getByRole("button", { name: "Add domain" }).click();
  await expectFieldMessage(customerField, "Choose a customer.");
  await expectFieldMessage(name, "Enter a domain name.");
  await name.fill("not a domain");
  await expectFieldMessage(name, "Enter a domain name like example.com.");
  await name.fill("example..com");
  await expectFieldMessage(name, "Enter a domain name like example.com.");
  await expectTooLong(name, 253);
  await expectPlainWords(page);
  await shoot(page, testInfo, "add-domain-errors");
  await expectFullWidthOnPhone(page, dialog, name);

  await customerField.selectOption({ label: customer });
  await name.fill(domain);
  await dialog.getByRole("button", { name: "Add domain" }).click();
  await expect(page.getByRole("link", { name: domain })).toBeVisible();
  await page.getByRole("button", { name: "Add domain" }).first().click();
  await customerField.selectOption({ label: customer });
  await name.fill(domain.toUpperCase());
  await dialog.getByRole("button", { name: "Add domain" }).click();
  await expectFieldMessage(name, /already managed here/);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("link", { name: domain }).click();
  await page.waitForURL(/\/domains\/[^/?]+$/);
  await page.getByRole("button", { name: "Add mailbox" }).click();
  const mailboxDialog = page.getByRole("dialog", { name: /Add a mailbox/ });
  const address = mailboxDialog.getByLabel("Address");
  const displayName = mailboxDialog.getByLabel("Display name");
  const password = mailboxDialog.getByLabel("Password");
  await mailboxDialog.getByRole("button", { name: "Create mailbox" }).click();
  await expectFieldMessage(address, "Enter the part before @.");
  await expectFieldMessage(password, "Enter a password.");
  await address.fill("-bob smith-");
  await expectFieldMessage(address, "Use only letters, digits and . _ + - (not at the start or end).");
  await expectTooLong(address, 64);
  await expectTooLong(displayName, 100);
  await expectPlainWords(page);
  await shoot(page, testInfo, "add-mailbox-errors");
  await expectFullWidthOnPhone(page, mailboxDialog, password);

  // The policy's verdict comes back from the server under the password, with the live hint kept.
  await address.fill("carol");
  await displayName.fill("Carol");
  await password.fill("carol-weak");
  await mailboxDialog.getByRole("button", { name: "Create mailbox" }).click();
  await expectFieldMessage(password, /Password rejected/);
  await expectPlainWords(page);
  await password.fill(userPassword);
  await mailboxDialog.getByRole("button", { name: "Create mailbox" }).click();
  await expect(page.getByRole("cell", { name: `carol@${domain}` })).toBeVisible();

  const row = page.getByRole("row").filter({ hasText: `carol@${domain}` });
  await row.getByRole("button", { name: "Reset password" }).click();
  const resetDialog = page.getByRole("dialog", { name: /Reset password of/ });
  const newPassword = resetDialog.getByLabel("New password");
  await resetDialog.getByRole("button", { name: "Set password" }).click();
  await expectFieldMessage(newPassword, "Enter a password.");
  await expectTooLong(newPassword, 256);
  await expectPlainWords(page);
  await resetDialog.getByRole("button", { name: "Cancel" }).click();

  const nativeDialogs = watchNativeDialogs(page);
  await row.getByRole("button", { name: "Delete" }).click();
  const confirmation = page.getByRole("dialog", { name: `Delete carol@${domain}?` });
  await confirmation.getByRole("button", { name: "Delete mailbox" }).click();
  await expect(page.getByRole("cell", { name: `carol@${domain}` })).toHaveCount(0);
  expect(nativeDialogs).toEqual([]);
});

test("add-server form and the server's delete confirmation", async ({ page }, testInfo) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Servers").click();
  await page.getByRole("button", { name: "Add server" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Add server" });
  const customerField = dialog.getByLabel("Customer");
  const name = dialog.getByLabel("Server name");
  await dialog.getByRole("button", { name: "Create and get command" }).click();
  await expectFieldMessage(customerField, "Choose a customer.");
  await expectFieldMessage(name, "Enter a name.");
  // The example hint stays under the field with the message.
  await expect(name).toHaveAccessibleDescription(/For example mx1\.customer\.example/);
  await expectTooLong(name, 100);
  await expectPlainWords(page);
  await shoot(page, testInfo, "add-server-errors");
  await expectFullWidthOnPhone(page, dialog, name);

  await customerField.selectOption({ label: customer });
  await name.fill("forms-check-mx");
  await dialog.getByRole("button", { name: "Create and get command" }).click();
  await expect(page.getByTestId("copy-enrollment-token")).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();

  const nativeDialogs = watchNativeDialogs(page);
  await page.getByRole("link", { name: "forms-check-mx" }).click();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  const confirmation = page.getByRole("dialog", { name: "Delete forms-check-mx?" });
  await confirmation.getByRole("button", { name: "Delete server" }).click();
  await expect(page).toHaveURL(/\/servers$/);
  await expect(page.getByRole("link", { name: "forms-check-mx" })).toHaveCount(0);
  expect(nativeDialogs).toEqual([]);
});

test("own password form", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await page.goto("/account");
  const current = page.getByLabel("Current password");
  const next = page.getByLabel("New password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expectFieldMessage(current, "Enter your current password.");
  await expectFieldMessage(next, "Enter a new password.");
  await expectTooLong(current, 256);
  await expectPlainWords(page);
  // A wrong current password is the server's to say (nothing is changed).
  await current.fill("Not-My-Password-12");
  await next.fill("Another-Sturdy-Pass-90");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Your current password is not correct.")).toBeVisible();
  await expectPlainWords(page);
});

test("two-factor enrolment code form", async ({ page }, testInfo) => {
  // Fran's customer requires 2FA: the first sign-in goes to enrolment.
  await signIn(page, userEmail, userPassword);
  await expect(page).toHaveURL(/\/two-factor/);
  const code = page.getByLabel("Authentication code");
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  await expectFieldMessage(code, "Enter the code from your authenticator app.");
  await code.fill("12ab");
  await expectFieldMessage(code, "Enter the 6 digits your authenticator app shows.");
  await expect(code).toHaveAttribute("maxlength", "6");
  await expectPlainWords(page);
  await shoot(page, testInfo, "two-factor-errors");
  await page.setViewportSize({ width: 1280, height: 900 });
  await code.fill("000000");
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  // The server's refusal (its wording is the enrolment's), in words above the field.
  await expect(page.locator("main form [data-form-error]")).toBeVisible();
  await expectPlainWords(page);
});
