// The IP blacklist edited in the provider's generic policy editor, in a real browser against the real
// console: a mistyped address is refused before it is sent, with the message under the list; a good
// entry is saved and still there after a reload, and removing it (a loosening) asks first. Signs in as
// console.spec.ts's provider admin.
import { expect, test } from "@playwright/test";
import { nav } from "../support/console";
import { signInAsProviderAdmin } from "../support/provider-admin";

test("the provider blacklists a network, sees it after a reload, then removes it", async ({ page }) => {
  await signInAsProviderAdmin(page);
  await nav(page, "Policy").click();
  const row = page.getByTestId("setting-row-ipBlacklist");
  await expect(row).toContainText("No entries.");
  const saveBar = page.getByRole("region", { name: "Unsaved policy changes" });

  await row.getByRole("button", { name: "Add entry to IP blacklist" }).click();
  await row.getByLabel("Network of entry 1").fill("203.0.113.300");
  await row.getByLabel("Reason of entry 1").fill("scanner");
  await expect(row.getByRole("checkbox", { name: "Never (Expires at of entry 1)" })).toBeChecked();
  await saveBar.getByRole("button", { name: "Save changes" }).click();
  await expect(row.getByRole("alert")).toHaveText("Entry 1: 203.0.113.300 is not an IP address or network");

  await row.getByLabel("Network of entry 1").fill("192.0.2.0/24");
  await saveBar.getByRole("button", { name: "Save changes" }).click();
  await expect(saveBar).toContainText("Saved. Connected agents apply it within seconds.");
  await expect(page.getByTestId("ipBlacklist-saved")).toBeVisible();
  await expect(page.getByTestId("ipBlacklist-effective")).toHaveText("192.0.2.0/24 (scanner)");

  await page.reload();
  await expect(row.getByLabel("Network of entry 1")).toHaveValue("192.0.2.0/24");
  await expect(row.getByLabel("Reason of entry 1")).toHaveValue("scanner");

  // Removing an entry lets that network connect again: a loosening, confirmed first.
  await row.getByRole("button", { name: "Remove entry 1" }).click();
  await saveBar.getByRole("button", { name: "Save changes" }).click();
  await page
    .getByRole("dialog", { name: /Loosen “IP blacklist”/ })
    .getByRole("button", { name: "Loosen it" })
    .click();
  await expect(page.getByTestId("ipBlacklist-effective")).toHaveText("None");
  await expect(row).toContainText("No entries.");
});
