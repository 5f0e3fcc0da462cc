// Lockout after repeated wrong authentication codes, on the shared provider admin. It runs last (its
// Playwright project depends on every other journey), since the admin stays locked for 15 minutes.
import { expect, test } from "@playwright/test";
import { signIn } from "../support/console";
import { providerAdmin } from "../support/provider-admin";

test("repeated wrong authentication codes lock the account", async ({ page }) => {
  for (let i = 0; i < 5; i++) {
    await signIn(page, providerAdmin.email, providerAdmin.password);
    await page.getByLabel("Authentication code").fill("000000");
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await expect(page.locator("main form").getByRole("alert")).toBeVisible();
  }
  await expect(page.locator("main form").getByRole("alert")).toContainText("locked");
  await signIn(page, providerAdmin.email, providerAdmin.password);
  await expect(page.locator("main form").getByRole("alert")).toContainText("locked");
});
