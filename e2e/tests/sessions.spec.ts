// Sessions end when they should, checked with the cookie itself: a cookie saved before sign-out or a
// password change is refused afterwards, and "Sign out everywhere else" on the account page ends the
// user's other browsers at once.
import { expect, test, type Browser, type BrowserContext } from "@playwright/test";
import { nav, signIn, signOut } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";

const user = { email: "sam@sessions-e2e.test", password: "Sessions-Strong-Pass-64" };
const newPassword = "Sessions-Newer-Pass-82";

/** True when this context's cookies still open the console (no bounce to the sign-in page). */
async function isSignedIn(context: BrowserContext) {
  const page = await context.newPage();
  await page.goto("/account");
  const signedIn = !/\/login/.test(page.url());
  const me = await context.request.get("/api/trpc/auth.me?batch=1&input=%7B%7D");
  await page.close();
  expect(me.ok()).toBe(signedIn);
  return signedIn;
}

async function contextSignedInAs(browser: Browser, email: string, password: string, address: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": address } });
  const page = await context.newPage();
  await signIn(page, email, password);
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  return { context, page };
}

test.describe.configure({ mode: "serial" });

test("a cookie saved before sign-out is refused afterwards", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAsProviderAdmin(page);
  const saved = await context.storageState();
  await signOut(page);
  const replay = await browser.newContext({ storageState: saved });
  expect(await isSignedIn(replay)).toBe(false);
});

test("set-up: a customer admin without 2FA", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Customers").click();
  await page.getByRole("button", { name: "Add customer" }).first().click();
  await page.getByLabel("Customer name").fill("Sessions Client");
  await page.getByRole("button", { name: "Create customer" }).click();
  await page.getByRole("link", { name: "Sessions Client" }).click();
  await page.getByRole("tab", { name: "Users" }).click();
  await page.getByRole("button", { name: "Add user" }).click();
  const dialog = page.getByRole("dialog", { name: /Add a user/ });
  await dialog.getByLabel("Name").fill("Sam Sessions");
  await dialog.getByLabel("Email").fill(user.email);
  await dialog.getByLabel("Role").selectOption("CUSTOMER_ADMIN");
  await dialog.getByLabel("Initial password").fill(user.password);
  await page.getByRole("button", { name: "Add user" }).last().click();
  await expect(page.getByRole("cell", { name: new RegExp(user.email) })).toBeVisible();
});

test("the account page lists where one is signed in and signs out everywhere else", async ({ browser }) => {
  const laptop = await contextSignedInAs(browser, user.email, user.password, "203.0.113.10");
  const phone = await contextSignedInAs(browser, user.email, user.password, "203.0.113.11");
  await laptop.page.goto("/account");
  const rows = laptop.page.getByTestId("session-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "This browser" })).toContainText("203.0.113.10");
  await expect(rows.filter({ hasNotText: "This browser" })).toContainText("203.0.113.11");
  await laptop.page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await laptop.page
    .getByTestId("confirm-dialog")
    .getByRole("button", { name: "Sign out everywhere else" })
    .click();
  await expect(rows).toHaveCount(1);
  expect(await isSignedIn(phone.context)).toBe(false);
  expect(await isSignedIn(laptop.context)).toBe(true);
});

test("a cookie saved before a password change is refused afterwards", async ({ browser }) => {
  const elsewhere = await contextSignedInAs(browser, user.email, user.password, "203.0.113.12");
  const saved = await elsewhere.context.storageState();
  const here = await contextSignedInAs(browser, user.email, user.password, "203.0.113.13");
  await here.page.goto("/account");
  await here.page.getByLabel("Current password").fill(user.password);
  await here.page.getByLabel("New password").fill(newPassword);
  await here.page.getByRole("button", { name: "Change password" }).click();
  await expect(here.page).toHaveURL(/\/login/);
  await expect(here.page.getByText("You were signed out everywhere")).toBeVisible();
  const replay = await browser.newContext({ storageState: saved });
  expect(await isSignedIn(replay)).toBe(false);
  expect(await isSignedIn(elsewhere.context)).toBe(false);
  await contextSignedInAs(browser, user.email, newPassword, "203.0.113.13");
});
