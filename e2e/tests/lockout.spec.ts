// Guessing passwords never locks the owner out (OWASP ASVS V2.2): a stranger's wrong passwords make only
// the stranger's address wait, the owner signs in from theirs, and an account that does not exist gets
// exactly the same answers. Client addresses come through X-Forwarded-For from a trusted proxy
// (MAILWARDEN_TRUSTED_PROXIES in playwright.config.ts).
import { expect, test, type Browser } from "@playwright/test";
import { signIn } from "../support/console";
import { providerAdmin, signInAsProviderAdmin } from "../support/provider-admin";

async function pageFrom(browser: Browser, address: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": address } });
  return context.newPage();
}

async function wrongPasswords(browser: Browser, address: string, email: string, times: number) {
  const page = await pageFrom(browser, address);
  const answers: string[] = [];
  for (let i = 0; i < times; i++) {
    await signIn(page, email, `Wrong-Password-${i}`);
    const alert = page.locator("main form").getByRole("alert");
    await expect(alert).toBeVisible();
    answers.push((await alert.textContent())!.trim());
  }
  await page.context().close();
  return answers;
}

test("a stranger's wrong passwords do not lock the owner out, and reveal nothing about the account", async ({
  browser,
}) => {
  const real = await wrongPasswords(browser, "198.51.100.66", providerAdmin.email, 6);
  const ghost = await wrongPasswords(browser, "198.51.100.66", "nobody-here@provider.example", 6);
  expect(real.slice(0, 4)).toEqual(Array(4).fill("Invalid email or password."));
  expect(real[4]).toMatch(/Too many failed attempts .* Try again in 1 minute\./);
  // The same words for an account that does not exist, wait included.
  expect(ghost).toEqual(real);

  // The stranger's address waits even with the right password...
  const stranger = await pageFrom(browser, "198.51.100.66");
  await signIn(stranger, providerAdmin.email, providerAdmin.password);
  await expect(stranger.locator("main form").getByRole("alert")).toContainText("Too many failed attempts");

  // ...while the owner, from their own address, signs in as usual.
  const owner = await pageFrom(browser, "203.0.113.7");
  await signInAsProviderAdmin(owner);
});
