// Steps every browser journey takes in the console: signing in and out, the main navigation, and making
// the customer, domain, mailboxes and enrolled server a journey starts from.
import { expect, type Page } from "@playwright/test";
import { enrollAndRunAgent } from "./agent";

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
}

export function nav(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/login/);
}

/** Provider admin, any page: a new customer. */
export async function addCustomer(page: Page, name: string) {
  await nav(page, "Customers").click();
  await page.getByRole("button", { name: "Add customer" }).first().click();
  await page.getByLabel("Customer name").fill(name);
  await page.getByRole("button", { name: "Create customer" }).click();
  await expect(page.getByRole("link", { name })).toBeVisible();
}

/** A domain of `customer`; ends on the domain's page. */
export async function addDomain(page: Page, customer: string, domain: string) {
  await nav(page, "Domains").click();
  await page.getByRole("button", { name: "Add domain" }).first().click();
  await page.getByLabel("Customer").selectOption({ label: customer });
  await page.getByLabel("Domain name").fill(domain);
  await page.getByRole("button", { name: "Add domain" }).last().click();
  await openDomain(page, domain);
}

export async function openDomain(page: Page, domain: string) {
  await nav(page, "Domains").click();
  await page.getByRole("link", { name: domain }).click();
  await page.waitForURL(/\/domains\/[^/?]+$/);
}

/** On a domain's page: a mailbox, shown in the list once created. */
export async function addMailbox(page: Page, domain: string, localPart: string, password: string) {
  await page.getByRole("button", { name: "Add mailbox" }).click();
  const dialog = page.getByRole("dialog", { name: /Add a mailbox/ });
  await dialog.getByLabel("Address").fill(localPart);
  await dialog.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create mailbox" }).click();
  await expect(page.getByRole("cell", { name: `${localPart}@${domain}` })).toBeVisible();
}

/**
 * A server of `customer`, enrolled by a real agent with the token the page shows (in `agentDir`), once
 * it has applied its config.
 */
export async function enrollServer(page: Page, customer: string, name: string, agentDir: string) {
  await nav(page, "Servers").click();
  await page.getByRole("button", { name: "Add server" }).first().click();
  await page.getByLabel("Customer").selectOption({ label: customer });
  await page.getByLabel("Server name").fill(name);
  await page.getByRole("button", { name: "Create and get command" }).click();
  const command = (await page.getByTestId("copy-install-command").textContent())!;
  const token = (await page.getByTestId("copy-enrollment-token").textContent())!.trim();
  await page.getByRole("button", { name: "Done" }).click();
  const agent = await enrollAndRunAgent(agentDir, /--url (\S+)/.exec(command)![1]!, token);
  await expect(page.getByTestId(`server-row-${name}`)).toContainText("Applied", { timeout: 30_000 });
  return agent;
}

/** The policy editor saves its drafts together, from the bar that appears once something changed. */
export async function savePolicy(page: Page) {
  await page
    .getByRole("region", { name: "Unsaved policy changes" })
    .getByRole("button", { name: "Save changes" })
    .click();
}
