// The provider's staff: a provider admin adds an auditor, who must set up 2FA at first sign-in (a code
// from the first load of that page still works after a reload); the admin hands over a one-time
// password-reset link, which ends the auditor's sessions; locking the auditor out ends their session and
// refuses their sign-in. Every step lands in the audit log.
import { expect, test, type Browser } from "@playwright/test";
import { nav, signIn } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";
import { nextWindowCode, totpCode } from "../support/totp";

const auditor = {
  name: "Avery Auditor",
  email: "avery@provider.example",
  password: "Auditor-Strong-Pass-35",
};
const resetPassword = "Auditor-Reset-Pass-71";
const state = { secret: "", lastCode: null as string | null };

test.describe.configure({ mode: "serial" });

async function auditorSignsIn(browser: Browser, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, auditor.email, password);
  await page
    .getByLabel("Authentication code")
    .fill((state.lastCode = await nextWindowCode(state.secret, state.lastCode)));
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  return page;
}

test("a provider admin adds an auditor, who sets up 2FA before anything else", async ({ page, browser }) => {
  await signInAsProviderAdmin(page);
  await nav(page, "People").click();
  await page.getByRole("button", { name: "Add person" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a person" });
  await dialog.getByRole("button", { name: "Add person" }).click();
  await expect(dialog.getByText("Enter their name.")).toBeVisible();
  await dialog.getByLabel("Name").fill(auditor.name);
  await dialog.getByLabel("Email").fill(auditor.email);
  await dialog.getByLabel("Role").selectOption("AUDITOR");
  await dialog.getByLabel("Initial password").fill(auditor.password);
  await dialog.getByRole("button", { name: "Add person" }).click();
  const row = page.getByTestId(`person-${auditor.email}`);
  await expect(row).toContainText("Not set up yet");

  const auditorPage = await (await browser.newContext()).newPage();
  await signIn(auditorPage, auditor.email, auditor.password);
  await expect(auditorPage).toHaveURL(/\/two-factor/);
  state.secret = (await auditorPage.getByTestId("totp-secret").textContent())!.trim();
  const firstLoadCode = totpCode(state.secret);
  await auditorPage.reload();
  await expect(auditorPage.getByTestId("totp-secret")).toHaveText(state.secret);
  await auditorPage.getByLabel("Authentication code").fill(firstLoadCode);
  await auditorPage.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  state.lastCode = firstLoadCode;
  await expect(auditorPage.getByRole("heading", { name: "Two-factor authentication is on" })).toBeVisible();
  await expect(auditorPage.getByTestId("recovery-codes").locator("li")).toHaveCount(10);
  await expect(auditorPage.getByRole("button", { name: "Download as text" })).toBeVisible();
  await auditorPage.getByRole("button", { name: /I saved them/ }).click();
  await expect(auditorPage.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  // Read-only: the auditor sees People but cannot add anyone.
  await nav(auditorPage, "People").click();
  await expect(auditorPage.getByTestId(`person-${auditor.email}`)).toBeVisible();
  await expect(auditorPage.getByRole("button", { name: "Add person" })).toHaveCount(0);

  await page.reload();
  await expect(row).toContainText("On");
});

test("a one-time password-reset link works once and signs the auditor out everywhere", async ({
  page,
  browser,
}) => {
  const auditorPage = await auditorSignsIn(browser, auditor.password);
  await signInAsProviderAdmin(page);
  await nav(page, "People").click();
  const row = page.getByTestId(`person-${auditor.email}`);
  await row.getByRole("button", { name: "Reset password" }).click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Create link" }).click();
  const link = (await page.getByTestId("copy-reset-link").textContent())!.trim();
  expect(link).toMatch(/\/reset-password#token=/);

  const resetPage = await (await browser.newContext()).newPage();
  await resetPage.goto(link);
  await expect(resetPage.getByText(`New password for ${auditor.email}`)).toBeVisible();
  await resetPage.getByRole("button", { name: "Set password" }).click();
  await expect(resetPage.getByText("Choose a new password.")).toBeVisible();
  await resetPage.getByLabel("New password").fill(resetPassword);
  await resetPage.getByRole("button", { name: "Set password" }).click();
  await expect(resetPage).toHaveURL(/\/login/);
  await expect(resetPage.getByText("Your new password is set")).toBeVisible();

  await auditorPage.goto("/account");
  await expect(auditorPage).toHaveURL(/\/login/);
  await resetPage.goto(link);
  await expect(resetPage.getByText("This password-reset link is not valid any more")).toBeVisible();
  await auditorSignsIn(browser, resetPassword);
});

test("locking the auditor out ends their session and refuses their sign-in", async ({ page, browser }) => {
  const auditorPage = await auditorSignsIn(browser, resetPassword);
  await signInAsProviderAdmin(page);
  await nav(page, "People").click();
  const row = page.getByTestId(`person-${auditor.email}`);
  await row.getByRole("button", { name: "Lock" }).click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Lock out" }).click();
  await expect(row).toContainText("Locked");
  await auditorPage.goto("/account");
  await expect(auditorPage).toHaveURL(/\/login/);
  await signIn(auditorPage, auditor.email, resetPassword);
  await expect(auditorPage.locator("main form").getByRole("alert")).toContainText(
    "locked by an administrator",
  );

  await nav(page, "Audit log").click();
  for (const text of ["added as auditor", "password-reset link", "locked out of the console"])
    await expect(page.getByTestId("audit-table")).toContainText(text);
});
